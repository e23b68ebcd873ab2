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
hyperparameters (the TensorFlow tutorial's weights 1e3/1e-2 with Adam eps 0.1
among them) were tuned on Caffe-magnitude features. A ReLU network with max
pools is positively homogeneous: scaling its input and every bias by k scales every
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

Caffe weights: --caffe-state-dict takes neural-style-pt's vgg19-d01eb7cb.pth, the original
Caffe VGG_ILSVRC_19_layers converted to a torchvision-layout state dict ("features.N.weight",
"features.N.bias", with or without the "classifier.*" keys). Those weights take BGR pixels in
0..255 minus the ImageNet mean (BGR 103.939, 116.779, 123.68), not divided by a standard
deviation; the export records exactly that (input_order BGR, input_scale 1, input_std 1), and
their features are at Caffe magnitude already, so feature_scale is 1 and the biases are kept.

  export_vgg19.py -o models/vgg19.pt                       # torchvision ImageNet weights
  export_vgg19.py -o models/vgg19.pt --state-dict vgg19-dcbb9e9d.pth   # offline, from a file
  export_vgg19.py -o models/vgg19_caffe.pt --caffe-state-dict vgg19-d01eb7cb.pth   # Caffe weights
  export_vgg19.py -o tests/vgg19_random.pt --weights random --seed 0   # fixed random weights

Only torch is needed, except to download the ImageNet weights (torchvision).

Exit codes: 0 written, 1 bad arguments, no usable torch or an unusable state dict
file, 3 weights could not be downloaded (no network).
"""

import argparse
import inspect
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

from typing import Dict, List, Optional

EXIT_NO_NETWORK = 3

# torchvision's ImageNet weights take RGB in [0, 1] normalised by these.
TORCHVISION_MEAN = [0.485, 0.456, 0.406]
TORCHVISION_STD = [0.229, 0.224, 0.225]
# Caffe's VGG19 takes BGR in 0..255 minus this mean (in BGR order), with no division.
CAFFE_MEAN_BGR = [103.939, 116.779, 123.68]
RANDOM_GAIN = 32.0


class VGG19Features(torch.nn.Module):
    """VGG19 feature layers (torchvision indices 0..36) behind their input normalisation."""

    input_order: str
    input_scale: float
    input_mean: List[float]
    input_std: List[float]
    feature_scale: float
    weights: str

    def __init__(self, features: torch.nn.Sequential, weights: str, input_order: str,
                 input_scale: float, input_mean: List[float], input_std: List[float],
                 feature_scale: float):
        """`input_*` is the weights' own convention; `feature_scale` multiplies every bias and
        divides input_std, which multiplies every activation by it (see the module's doc)."""
        super().__init__()
        for layer in features:
            if isinstance(layer, torch.nn.Conv2d) and layer.bias is not None:
                layer.bias.mul_(feature_scale)
        self.features = features
        self.input_order = input_order
        self.input_scale = float(input_scale)
        self.input_mean = [float(m) for m in input_mean]
        self.input_std = [float(s) / feature_scale for s in input_std]
        self.feature_scale = float(feature_scale)
        self.weights = weights

    def forward(self, rgb255: torch.Tensor) -> torch.Tensor:
        """rgb255: [N, 3, H, W] RGB pixels in 0..255; returns the pool5 features
        (feature_scale times those of the weights in their own convention)."""
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


def vgg_parameter_shapes(name: str = "vgg19") -> Dict[str, torch.Size]:
    """The state dict keys and shapes of vgg_features(name), prefixed "features.", without
    building (and initialising) the layers."""
    shapes: Dict[str, torch.Size] = {}
    index, channels = 0, 3
    for entry in VGG_LAYERS[name]:
        if entry == "M":
            index += 1
        else:
            shapes[f"features.{index}.weight"] = torch.Size([entry, channels, 3, 3])
            shapes[f"features.{index}.bias"] = torch.Size([entry])
            channels, index = entry, index + 2
    return shapes


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


class UnusableStateDict(Exception):
    """A state dict file that cannot give VGG19's features; the message names file and fault."""


def _some(keys: List[str], limit: int = 4) -> str:
    shown = ", ".join(f"'{key}'" for key in keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def load_vgg19_features(path: str) -> torch.nn.Sequential:
    """VGG19's feature layers with the weights of a torchvision-layout VGG19 state dict file.

    Both torchvision's vgg19-dcbb9e9d.pth and neural-style-pt's vgg19-d01eb7cb.pth have that
    layout: "features.N.weight" and "features.N.bias" for the 16 convolutions (N = 0, 2, 5,
    7, ..., 34, the indices of vgg_features()), and "classifier.*" for the fully connected
    layers, which are ignored, as are any other keys outside "features.". Raises
    UnusableStateDict for anything else."""
    load_options = {"map_location": "cpu"}
    if "weights_only" in inspect.signature(torch.load).parameters:
        load_options["weights_only"] = True  # tensors and containers only: nothing in it runs
    try:
        state = torch.load(path, **load_options)
    except OSError as error:
        raise UnusableStateDict(f"cannot read '{path}': {error.strerror or error}") from None
    except Exception as error:  # torch.load's error for a file not in its format varies
        text = str(error)
        reason = text.split("WeightsUnpickler error:", 1)[-1].strip()
        reason = (reason.splitlines() or [""])[0]
        if "WeightsUnpickler error:" in text and ("class" in reason or "global" in reason):
            # A pickled object other than tensors and dicts, e.g. a whole model.
            raise UnusableStateDict(
                f"'{path}' is not a plain state dict: it holds other objects than tensors in "
                f"dicts ({reason[:200]}); save the model's state_dict() instead") from None
        raise UnusableStateDict(
            f"'{path}' is not a PyTorch state dict file: torch.load failed "
            f"({type(error).__name__}: {reason[:200]})") from None
    if not isinstance(state, dict):
        raise UnusableStateDict(
            f"'{path}' is not a state dict: it holds a {type(state).__name__}, not a dict "
            "of parameter names to tensors")

    expected = vgg_parameter_shapes()
    found = {key: value for key, value in state.items()
             if isinstance(key, str) and key.startswith("features.")}
    if not found:
        keys = [str(key) for key in state]
        raise UnusableStateDict(
            f"'{path}' has no 'features.*' keys (it has {len(keys)} "
            + ("key" if len(keys) == 1 else "keys")
            + (f": {_some(keys)}" if keys else "") + "); expected a VGG19 state dict with "
            "'features.0.weight' ... 'features.34.bias'")
    missing = [key for key in expected if key not in found]
    unexpected = sorted(key for key in found if key not in expected)
    if missing or unexpected:
        faults = ([f"lacks {_some(missing)}"] if missing else []) + (
            [f"has unexpected {_some(unexpected)}"] if unexpected else [])
        raise UnusableStateDict(
            f"'{path}' is not a VGG19 state dict: it " + " and ".join(faults) +
            "; VGG19's features are 'features.N.weight/bias' for N = 0 2 5 7 10 12 14 16 19 21 "
            "23 25 28 30 32 34")
    for key, shape in expected.items():
        value = found[key]
        if not isinstance(value, torch.Tensor) or not value.is_floating_point():
            raise UnusableStateDict(f"'{path}': '{key}' is a {type(value).__name__}"
                                    + (f" of {value.dtype}" if isinstance(value, torch.Tensor)
                                       else "") + ", not a floating-point tensor")
        if value.shape != shape:
            raise UnusableStateDict(f"'{path}' is not a VGG19 state dict: '{key}' has shape "
                                    f"{list(value.shape)}; VGG19 needs {list(shape)}")
        if not torch.isfinite(value).all():
            raise UnusableStateDict(f"'{path}' has NaN or infinite values in '{key}'")
    features = vgg_features()
    features.load_state_dict({key[len("features."):]: value for key, value in found.items()})
    return features


def build_features(args: argparse.Namespace) -> torch.nn.Sequential:
    if args.weights == "random":
        return random_vgg_features(args.seed)
    if args.state_dict or args.caffe_state_dict:
        return load_vgg19_features(args.state_dict or args.caffe_state_dict)
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


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", required=True, help="TorchScript file to write")
    parser.add_argument("--weights", choices=["imagenet", "random"], default="imagenet",
                        help="ImageNet weights through torchvision, or fixed random weights")
    parser.add_argument("--seed", type=int, default=0, help="seed for --weights random")
    files = parser.add_mutually_exclusive_group()
    files.add_argument("--state-dict", help="a torchvision vgg19 state dict (.pth) to use "
                       "instead of downloading the ImageNet weights")
    files.add_argument("--caffe-state-dict", help="neural-style-pt's vgg19-d01eb7cb.pth: the "
                       "Caffe VGG19 in torchvision's layout (BGR input, 0..255 minus the mean)")
    args = parser.parse_args(argv)
    if (args.state_dict or args.caffe_state_dict) and args.weights == "random":
        parser.error("--state-dict/--caffe-state-dict and --weights random exclude each other")

    torch.set_grad_enabled(False)
    try:
        features = build_features(args)
    except UnusableStateDict as error:
        sys.stderr.write(f"export_vgg19.py: {error}\n")
        return 1
    if args.caffe_state_dict:
        # Caffe's convention, at Caffe magnitude already.
        label = "caffe"
        convention = dict(input_order="BGR", input_scale=1.0, input_mean=CAFFE_MEAN_BGR,
                          input_std=[1.0, 1.0, 1.0], feature_scale=1.0)
    else:
        label = f"random(seed={args.seed})" if args.weights == "random" else "imagenet"
        gain = RANDOM_GAIN if args.weights == "random" else 1.0
        scale = 255.0 * sum(TORCHVISION_STD) / len(TORCHVISION_STD) * gain
        convention = dict(input_order="RGB", input_scale=1.0 / 255.0, input_mean=TORCHVISION_MEAN,
                          input_std=TORCHVISION_STD, feature_scale=scale)
    module = torch.jit.script(VGG19Features(features.eval(), label, **convention))
    save_atomically(module, args.output)
    print(f"wrote {args.output} (VGG19 features, {label} weights, torch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
