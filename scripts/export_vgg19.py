#!/usr/bin/env python3
"""Export VGG19's feature layers as a TorchScript file that nst can load.

The exported module carries its own input convention: it takes RGB pixels in
0..255 and normalises them itself, and it exposes the convention as attributes
(input_order, input_scale, input_mean, input_std) so that nst can apply the
same normalisation without running the module's own forward.

Feature scale: torchvision's weights expect inputs about 58 times smaller than
the original Caffe VGG19 (pixels/255 normalised by std ~0.226, against pixels
minus the mean), so their activations are about 58 times smaller too, Gram
matrices ~3300 times and style losses ~10^7 times. The Gatys literature's
hyperparameters (the seed tutorial's weights 1e3/1e-2 with Adam eps 0.1 among
them) were tuned on Caffe-magnitude features. A ReLU network with max pools is
positively homogeneous: scaling its input and every bias by k scales every
activation by k exactly. The export uses that to bring the features to Caffe
magnitude (k = 255 * mean(std), recorded as feature_scale): input_std is
divided by k and each bias multiplied by k. The features keep their meaning;
only their unit changes.

Random weights (Kaiming-normal, as torchvision initialises VGG) keep the
activations' magnitude from layer to layer but stay far below a trained
network's: their Gram matrices on photos are ~1e2 where the ImageNet network's
at Caffe magnitude are ~1e4-1e6. They get a further factor RANDOM_GAIN so that
losses, and so the balance of content and style weights, are of the same order
as with real weights, and tests and demos exercise the defaults as users meet them.

  export_vgg19.py -o models/vgg19.pt                       # torchvision ImageNet weights
  export_vgg19.py -o models/vgg19.pt --state-dict vgg19-dcbb9e9d.pth   # offline, from a file
  export_vgg19.py -o tests/vgg19_random.pt --weights random --seed 0   # fixed random weights

Exit codes: 0 written, 1 bad arguments or no usable torch, 3 weights could not
be downloaded (no network).
"""

import argparse
import os
import sys
import tempfile

try:
    import torch
    import torchvision
except ImportError as error:
    sys.stderr.write(
        f"export_vgg19.py: this interpreter ({sys.executable}) cannot import {error.name}.\n"
        "Install Debian's python3-torch and python3-torchvision and run the script with the\n"
        "interpreter that has them, e.g. /usr/bin/python3 scripts/export_vgg19.py ...\n")
    sys.exit(1)

from typing import List

EXIT_NO_NETWORK = 3

# torchvision's ImageNet weights take RGB in [0, 1] normalised by these.
TORCHVISION_MEAN = [0.485, 0.456, 0.406]
TORCHVISION_STD = [0.229, 0.224, 0.225]
RANDOM_GAIN = 32.0


class VGG19Features(torch.nn.Module):
    """VGG19 feature layers (torchvision indices 0..36) behind their input normalisation."""

    input_order: str
    input_scale: float
    input_mean: List[float]
    input_std: List[float]
    feature_scale: float
    weights: str

    def __init__(self, features: torch.nn.Sequential, weights: str, gain: float):
        super().__init__()
        scale = 255.0 * sum(TORCHVISION_STD) / len(TORCHVISION_STD) * gain
        for layer in features:
            if isinstance(layer, torch.nn.Conv2d) and layer.bias is not None:
                layer.bias.mul_(scale)
        self.features = features
        self.input_order = "RGB"
        self.input_scale = 1.0 / 255.0
        self.input_mean = TORCHVISION_MEAN
        self.input_std = [s / scale for s in TORCHVISION_STD]
        self.feature_scale = scale
        self.weights = weights

    def forward(self, rgb255: torch.Tensor) -> torch.Tensor:
        """rgb255: [N, 3, H, W] RGB pixels in 0..255; returns the pool5 features
        (feature_scale times torchvision's)."""
        x = rgb255
        if self.input_order == "BGR":
            x = x.flip(1)
        mean = torch.tensor(self.input_mean, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(self.input_std, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
        return self.features((x * self.input_scale - mean) / std)


def build_features(args: argparse.Namespace) -> torch.nn.Sequential:
    from torchvision.models import vgg19

    if args.weights == "random":
        # torchvision initialises VGG with Kaiming-normal convolutions, which keeps the
        # activations' magnitude through the layers, so random features still carry texture.
        torch.manual_seed(args.seed)
        return vgg19(weights=None).features
    model = vgg19(weights=None)
    if args.state_dict:
        state = torch.load(args.state_dict, map_location="cpu")
        model.load_state_dict(state)
        return model.features
    from torchvision.models import VGG19_Weights

    try:
        weights = VGG19_Weights.IMAGENET1K_V1
        return vgg19(weights=weights, progress=False).features
    except (OSError, RuntimeError) as error:  # URLError is an OSError
        sys.stderr.write(
            f"export_vgg19.py: could not download the ImageNet VGG19 weights: {error}\n"
            "Without network access, copy vgg19-dcbb9e9d.pth from a machine that has it and run\n"
            "  export_vgg19.py -o models/vgg19.pt --state-dict vgg19-dcbb9e9d.pth\n"
            "or, for tests only, export fixed random weights with --weights random.\n")
        sys.exit(EXIT_NO_NETWORK)


def save_atomically(module: torch.jit.ScriptModule, path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".export-", suffix=".pt")
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; a model is not a secret
    try:
        module.save(temporary)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", required=True, help="TorchScript file to write")
    parser.add_argument("--weights", choices=["imagenet", "random"], default="imagenet",
                        help="ImageNet weights through torchvision, or fixed random weights")
    parser.add_argument("--seed", type=int, default=0, help="seed for --weights random")
    parser.add_argument("--state-dict", help="a torchvision vgg19 state dict (.pth) to use "
                        "instead of downloading the ImageNet weights")
    args = parser.parse_args()
    if args.state_dict and args.weights == "random":
        parser.error("--state-dict and --weights random exclude each other")

    torch.set_grad_enabled(False)
    features = build_features(args)
    label = f"random(seed={args.seed})" if args.weights == "random" else "imagenet"
    gain = RANDOM_GAIN if args.weights == "random" else 1.0
    module = torch.jit.script(VGG19Features(features.eval(), label, gain))
    save_atomically(module, args.output)
    print(f"wrote {args.output} (VGG19 features, {label} weights, torch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
