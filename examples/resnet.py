"""A small ResNet (BasicBlocks with BatchNorm and identity/projection skips) on scikit-learn's
handwritten digits, the same data and accuracy bar as the LeNet main job.

    python examples/resnet.py
"""
import argparse
import time

import nbtorch as torch
import nbtorch.nn as nn
import nbtorch.nn.functional as F
from nbtorch.utils.data import DataLoader, TensorDataset
from train_lenet import evaluate


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN plus the input (projected by a 1x1 conv when the shape changes)."""

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, widths=(16, 32), num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, padding=1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        blocks, planes = [], widths[0]
        for i, width in enumerate(widths):
            blocks.append(BasicBlock(planes, width, stride=1 if i == 0 else 2))
            planes = width
        self.layers = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(planes, num_classes)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(self.pool(x), 1))


def main(argv=None):
    from tqdm import tqdm
    from nbtorch.datasets import load_digits
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    start = time.perf_counter()
    torch.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = (load_digits(s, seed=args.seed)
                                            for s in ("train", "test"))
    mean, std = x_train.mean(), x_train.std()
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    train = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size, shuffle=True)
    test = DataLoader(TensorDataset(x_test, y_test), batch_size=256)
    model = ResNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    history = []
    for epoch in range(args.epochs):
        model.train()
        bar = tqdm(train, desc=f"epoch {epoch + 1}", unit="batch")
        seen, running = 0, 0.0
        for x, y in bar:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            seen += len(y)
            running += loss.item() * len(y)
            bar.set_postfix(loss=f"{running / seen:.4f}")
        scheduler.step()
        test_loss, test_acc = evaluate(model, test, "cpu")
        history.append({"epoch": epoch + 1, "train_loss": running / seen, "test_acc": test_acc})
        bar.write(f"epoch {epoch + 1}: train loss {running / seen:.4f}  test accuracy "
                  f"{test_acc:.2%}")
    print(f"test accuracy: {history[-1]['test_acc']:.2%} ({len(y_test)} held-out images), "
          f"wall time {time.perf_counter() - start:.1f} s")
    return history


if __name__ == "__main__":
    main()
