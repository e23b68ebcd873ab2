#!/usr/bin/env python3
"""Write malformed model files for the loader's tests, next to a good export.

  make_bad_models.py --good vgg19_random.pt --output-dir bad_models

writes, in the output folder:
  vgg16.pt         VGG16's features with the export's metadata: loads, but is not VGG19-shaped
  no_metadata.pt   the good VGG19 features without the input-convention attributes
  nan_weights.pt   the good export with one NaN weight in conv1_1
  random_bytes.pt  4 KiB of random bytes
  empty.pt         an empty file
  truncated.pt     the first half of the good export's bytes
"""

import argparse
import os
import random
import sys
from typing import List

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from export_vgg19 import vgg_features  # noqa: E402  (torch only; no torchvision needed)


class WithConvention(torch.nn.Module):
    """Same metadata attributes as scripts/export_vgg19.py's module, around any features."""

    input_order: str
    input_scale: float
    input_mean: List[float]
    input_std: List[float]

    def __init__(self, features: torch.nn.Module):
        super().__init__()
        self.features = features
        self.input_order = "RGB"
        self.input_scale = 1.0 / 255.0
        self.input_mean = [0.485, 0.456, 0.406]
        self.input_std = [0.229, 0.224, 0.225]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


class WithoutConvention(torch.nn.Module):
    def __init__(self, features: torch.nn.Module):
        super().__init__()
        self.features = features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--good", required=True, help="a good export of export_vgg19.py")
    parser.add_argument("--output-dir", required=True)
    args = parser.parse_args()
    os.makedirs(args.output_dir, exist_ok=True)
    out = lambda name: os.path.join(args.output_dir, name)
    torch.set_grad_enabled(False)
    torch.manual_seed(0)

    torch.jit.script(WithConvention(vgg_features("vgg16"))).save(
        out("vgg16.pt"))

    good = torch.jit.load(args.good)
    torch.jit.script(WithoutConvention(good.features)).save(out("no_metadata.pt"))

    poisoned = torch.jit.load(args.good)
    dict(poisoned.features.named_children())["0"].weight[0, 0, 0, 0] = float("nan")
    poisoned.save(out("nan_weights.pt"))

    generator = random.Random(0)
    with open(out("random_bytes.pt"), "wb") as f:
        f.write(bytes(generator.randrange(256) for _ in range(4096)))
    open(out("empty.pt"), "wb").close()
    with open(args.good, "rb") as f:
        data = f.read()
    with open(out("truncated.pt"), "wb") as f:
        f.write(data[: len(data) // 2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
