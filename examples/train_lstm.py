"""A sequence model: an LSTM reads each handwritten digit of scikit-learn's data set (shipped with
the package, nothing downloads) one pixel row at a time, 8 steps of 8 pixels, and a linear layer
classifies its last hidden state. Adam, gradient clipping, a progress bar, held-out accuracy.

    python examples/train_lstm.py
"""
import argparse
import time

import nbtorch as torch
import nbtorch.nn as nn
from nbtorch.datasets import load_digits
from nbtorch.utils.data import DataLoader, TensorDataset


class RowReader(nn.Module):
    """Images (N, 1, H, W) read as sequences of H rows of W pixels."""

    def __init__(self, width=8, hidden=64, classes=10):
        super().__init__()
        self.lstm = nn.LSTM(width, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, images):
        _, (h, _) = self.lstm(images.squeeze(1))     # h: (layers, N, hidden)
        return self.head(h[-1])


def main(argv=None):
    from tqdm import tqdm
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    start = time.perf_counter()
    torch.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = (load_digits(s, seed=args.seed)
                                            for s in ("train", "test"))
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size, shuffle=True)
    model = RowReader()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()

    for epoch in range(args.epochs):
        model.train()
        bar = tqdm(loader, desc=f"epoch {epoch + 1}", unit="batch")
        seen, total = 0, 0.0
        for x, y in bar:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            seen += len(y)
            total += loss.item() * len(y)
            bar.set_postfix(loss=f"{total / seen:.4f}")
    model.eval()
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    print(f"test accuracy: {accuracy:.2%} ({len(y_test)} held-out images), "
          f"wall time {time.perf_counter() - start:.1f} s")
    return accuracy


if __name__ == "__main__":
    main()
