"""The main job: train a LeNet-5-style CNN on scikit-learn's handwritten digits (shipped with the
package, nothing downloads) or on MNIST IDX files from ``--data-dir``, then report test accuracy.

    python examples/train_lenet.py                      # digits, ~97-99% test accuracy
    python examples/train_lenet.py --data-dir ~/mnist   # MNIST from its IDX files
"""
import argparse
import time

import nbtorch as torch
import nbtorch.nn as nn
import nbtorch.nn.functional as F
from nbtorch.utils.data import DataLoader, TensorDataset


class LeNet(nn.Module):
    """conv(1->6, k5) -> pool -> conv(6->16, k5) -> pool -> fc 120 -> fc 84 -> fc 10.
    On 8x8 digits both convs pad by 2 so that the feature maps stay non-empty."""

    def __init__(self, image_size=28, num_classes=10):
        super().__init__()
        pad2 = 2 if image_size < 16 else 0
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5, padding=pad2)
        side = ((image_size // 2) + 2 * pad2 - 4) // 2
        self.fc1 = nn.Linear(16 * side * side, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def load_data(args):
    from nbtorch import datasets
    if args.data_dir:
        train = datasets.load_mnist(args.data_dir, train=True)
        test = datasets.load_mnist(args.data_dir, train=False)
    else:
        train = datasets.load_digits("train", seed=args.seed)
        test = datasets.load_digits("test", seed=args.seed)
    mean, std = train[0].mean(), train[0].std()
    return [((x - mean) / std, y) for x, y in (train, test)]


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    loss = 0.0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            out = model(x)
            loss += F.cross_entropy(out, y, reduction="sum").item()
            correct += (out.argmax(1) == y).sum().item()
            total += y.numel()
    return loss / total, correct / total


def main(argv=None):
    from tqdm import tqdm
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", help="folder with MNIST IDX files (default: scikit-learn digits)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save", metavar="PATH", help="save the final checkpoint here")
    p.add_argument("--resume", metavar="PATH", help="continue from a checkpoint saved by --save")
    p.add_argument("--plot", metavar="PATH", help="write loss/accuracy curves to this PNG")
    args = p.parse_args(argv)

    start = time.perf_counter()
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    (x_train, y_train), (x_test, y_test) = load_data(args)
    train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size,
                              shuffle=True)
    test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=256)

    model = LeNet(image_size=x_train.shape[-1]).to(device)
    if args.optimizer == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    first_epoch, history = 0, []
    if args.resume:
        ckpt = torch.load(args.resume)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        first_epoch, history = ckpt["epoch"], ckpt["history"]

    for epoch in range(first_epoch, first_epoch + args.epochs):
        model.train()
        bar = tqdm(train_loader, desc=f"epoch {epoch + 1}", unit="batch", leave=True)
        seen, running, tick = 0, 0.0, time.perf_counter()
        for x, y in bar:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            seen += y.shape[0]
            running += loss.item() * y.shape[0]
            bar.set_postfix(loss=f"{running / seen:.4f}",
                            img_s=f"{seen / (time.perf_counter() - tick):.0f}")
        test_loss, test_acc = evaluate(model, test_loader, device)
        history.append({"epoch": epoch + 1, "train_loss": running / seen, "test_loss": test_loss,
                        "test_acc": test_acc})
        bar.write(f"epoch {epoch + 1}: train loss {running / seen:.4f}  test loss {test_loss:.4f}  "
                  f"test accuracy {test_acc:.2%}")

    if args.save:
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "epoch": first_epoch + args.epochs, "history": history}, args.save)
    if args.plot:
        plot(history, args.plot)
    print(f"test accuracy: {history[-1]['test_acc']:.2%} ({len(y_test)} held-out images), "
          f"wall time {time.perf_counter() - start:.1f} s")
    return history


def plot(history, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    epochs = [h["epoch"] for h in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(epochs, [h["train_loss"] for h in history], label="train")
    ax1.plot(epochs, [h["test_loss"] for h in history], label="test")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("cross-entropy")
    ax1.legend()
    ax2.plot(epochs, [100 * h["test_acc"] for h in history])
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("test accuracy (%)")
    fig.tight_layout()
    fig.savefig(path)


if __name__ == "__main__":
    main()
