"""A small autograd demo: a two-layer perceptron on scikit-learn's handwritten digits (shipped
with the package, nothing downloads), cross-entropy written with tensor ops, SGD with momentum.

    python examples/train_mlp.py
"""
import argparse
import time

import nbtorch as torch
import nbtorch.nn as nn
from nbtorch.datasets import load_digits
from nbtorch.utils.data import DataLoader, TensorDataset


def cross_entropy(logits, target):
    """mean over the batch of logsumexp(logits) - logits[target]."""
    picked = logits.gather(1, target.unsqueeze(1)).squeeze(1)
    return (logits.logsumexp(1) - picked).mean()


def main(argv=None):
    from tqdm import tqdm
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    start = time.perf_counter()
    torch.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = (load_digits(s, seed=args.seed)
                                            for s in ("train", "test"))
    mean, std = x_train.mean(), x_train.std()
    x_train, x_test = ((x - mean) / std for x in (x_train, x_test))
    x_train, x_test = x_train.flatten(1), x_test.flatten(1)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size, shuffle=True)
    model = nn.Sequential(nn.Linear(64, 128), nn.Linear(128, 10))
    hidden, out = model[0], model[1]
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)

    for epoch in range(args.epochs):
        bar = tqdm(loader, desc=f"epoch {epoch + 1}", unit="batch")
        seen, total = 0, 0.0
        for x, y in bar:
            optimizer.zero_grad()
            loss = cross_entropy(out(hidden(x).relu()), y)
            loss.backward()
            optimizer.step()
            seen += len(y)
            total += loss.item() * len(y)
            bar.set_postfix(loss=f"{total / seen:.4f}")
    with torch.no_grad():
        accuracy = (out(hidden(x_test).relu()).argmax(1) == y_test).float().mean().item()
    print(f"test accuracy: {accuracy:.2%} ({len(y_test)} held-out images), "
          f"wall time {time.perf_counter() - start:.1f} s")
    return accuracy


if __name__ == "__main__":
    main()
