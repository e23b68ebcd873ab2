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

Random weights (Kaiming-normal, as torchvision initialises VGG, drawn here in
torchvision's order so that a seed gives the same weights with or without
torchvision installed) keep the
activations' magnitude from layer to layer but stay far below a trained
network's: their Gram matrices on photos are ~1e2 where the ImageNet network's
at Caffe magnitude are ~1e4-1e6. They get a further factor RANDOM_GAIN so that
losses, and so the balance of content and style weights, are of the same order
as with real weights, and tests and demos exercise the defaults as users meet them.

  export_vgg19.py -o models/vgg19.pt                       # torchvision ImageNet weights
  export_vgg19.py -o models/vgg19.pt --state-dict vgg19-dcbb9e9d.pth   # offline, from a file
  export_vgg19.py -o tests/vgg19_random.pt --weights random --seed 0   # fixed random weights

Only torch is needed, except to download the ImageNet weights (torchvision).

Exit codes: 0 written, 1 bad arguments or no usable torch, 3 weights could not
be downloaded (no network).
"""

import argparse
import os
import sys
import tempfile

try:
    import torch
except ImportError as error:
    sys.stderr.write(
        f"export_vgg19.py: this interpreter ({sys.executable}) cannot import {error.name}.\n"
        "Install Debian's python3-torch (and python3-torchvision for the ImageNet weights) and\n"
        "run the script with the interpreter that has them, e.g.\n"
        "/usr/bin/python3 scripts/export_vgg19.py ...\n")
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


# torchvision's VGG configurations: each 3x3 convolution's output channels, "M" a max pool.
VGG_LAYERS = {
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
              512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"],
}


def vgg_features(name: str = "vgg19") -> torch.nn.Sequential:
    """The feature layers of torchvision's vgg16/vgg19 (same layers, same indices)."""
    layers: List[torch.nn.Module] = []
    channels = 3
    for entry in VGG_LAYERS[name]:
        if entry == "M":
            layers.append(torch.nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [torch.nn.Conv2d(channels, entry, kernel_size=3, padding=1),
                       torch.nn.ReLU(inplace=True)]
            channels = entry
    return torch.nn.Sequential(*layers)


def random_vgg_features(seed: int, name: str = "vgg19") -> torch.nn.Sequential:
    """The features of torchvision's `vgg19(weights=None)` after `torch.manual_seed(seed)`,
    drawn with the same generator calls in the same order, so without torchvision too."""
    torch.manual_seed(seed)
    features = vgg_features(name)
    # torchvision builds the classifier (drawing its default initialisation) before it
    # initialises the convolutions; building it here keeps the generator in step.
    torch.nn.Linear(512 * 7 * 7, 4096), torch.nn.Linear(4096, 4096), torch.nn.Linear(4096, 1000)
    # Kaiming-normal convolutions keep the activations' magnitude through the layers, so
    # random features still carry texture.
    for layer in features:
        if isinstance(layer, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
            torch.nn.init.constant_(layer.bias, 0)
    return features


def build_features(args: argparse.Namespace) -> torch.nn.Sequential:
    if args.weights == "random":
        return random_vgg_features(args.seed)
    if args.state_dict:
        # A torchvision vgg19 state dict: the features' keys are "features.N.weight/bias".
        state = torch.load(args.state_dict, map_location="cpu")
        features = vgg_features()
        features.load_state_dict({key[len("features."):]: value for key, value in state.items()
                                  if key.startswith("features.")})
        return features
    try:
        from torchvision.models import VGG19_Weights, vgg19
    except ImportError:
        sys.stderr.write("export_vgg19.py: downloading the ImageNet weights needs torchvision\n"
                         "(Debian's python3-torchvision); or pass --state-dict FILE.\n")
        sys.exit(1)
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
