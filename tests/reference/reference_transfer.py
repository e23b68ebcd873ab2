#!/usr/bin/env python3
"""An independent PyTorch implementation of nst's style transfer, to compare losses against.

It shares nothing with the C++ engine but the model file: it reads the input convention from
the module's attributes, runs `model.features` layer by layer naming the layers itself, and
uses torch.optim.Adam. Writes the total loss of each iteration, measured before that
iteration's step, one per line.

  reference_transfer.py --model vgg19_random.pt --content c.ppm --style s.ppm \
      --content-layers relu4_2 --style-layers relu1_1,relu2_1 --content-weight 1e3 \
      --style-weight 1e-2 --lr 5 --beta1 0.99 --beta2 0.999 --eps 1e-8 --iterations 10 \
      --output losses.txt

Images are binary PPM (P6, maxval 255) and are used at their size, without resizing.
"""

import argparse
import math
import sys

import torch


def read_ppm(path: str) -> torch.Tensor:
    """P6 file → [1, 3, H, W] float32 RGB in 0..255."""
    with open(path, "rb") as f:
        data = f.read()
    fields = []
    position = 0
    while len(fields) < 4:
        while data[position:position + 1].isspace():
            position += 1
        if data[position:position + 1] == b"#":
            while data[position:position + 1] not in (b"\n", b""):
                position += 1
            continue
        start = position
        while not data[position:position + 1].isspace():
            position += 1
        fields.append(data[start:position])
    position += 1  # the single whitespace byte before the raster
    if fields[0] != b"P6" or int(fields[3]) != 255:
        raise ValueError(f"{path}: not a binary PPM with maxval 255")
    width, height = int(fields[1]), int(fields[2])
    raster = torch.frombuffer(bytearray(data[position:position + width * height * 3]),
                              dtype=torch.uint8)
    return raster.view(height, width, 3).permute(2, 0, 1).unsqueeze(0).float()


def layer_names(features: torch.nn.Module) -> list:
    names = []
    block, conv = 1, 0
    for child in features.children():
        kind = getattr(child, "original_name", type(child).__name__)
        if kind == "Conv2d":
            conv += 1
            names.append(f"conv{block}_{conv}")
        elif kind == "ReLU":
            names.append(f"relu{block}_{conv}")
        elif kind == "MaxPool2d":
            names.append(f"pool{block}")
            block, conv = block + 1, 0
        else:
            raise ValueError(f"unexpected layer {kind}")
    return names


class Extractor:
    def __init__(self, path: str):
        self.model = torch.jit.load(path, map_location="cpu")
        self.model.eval()
        for parameter in self.model.parameters():
            parameter.requires_grad_(False)
        self.layers = list(self.model.features.children())
        self.names = layer_names(self.model.features)
        self.bgr = self.model.input_order == "BGR"
        self.scale = float(self.model.input_scale)
        self.mean = torch.tensor(list(self.model.input_mean)).view(1, 3, 1, 1)
        self.std = torch.tensor(list(self.model.input_std)).view(1, 3, 1, 1)

    def __call__(self, rgb255: torch.Tensor, wanted: list) -> dict:
        x = rgb255.flip(1) if self.bgr else rgb255
        x = (x * self.scale - self.mean) / self.std
        deepest = max(self.names.index(name) for name in wanted)
        out = {}
        for name, layer in zip(self.names[:deepest + 1], self.layers[:deepest + 1]):
            x = layer(x)
            if name in wanted:
                out[name] = x
        return out


def gram(features: torch.Tensor) -> torch.Tensor:
    _, c, h, w = features.shape
    flat = features.reshape(c, h * w)
    return flat @ flat.t() / (h * w)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--content", required=True)
    parser.add_argument("--style", required=True)
    parser.add_argument("--content-layers", required=True)
    parser.add_argument("--style-layers", required=True)
    parser.add_argument("--content-weight", type=float, required=True)
    parser.add_argument("--style-weight", type=float, required=True)
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--beta1", type=float, required=True)
    parser.add_argument("--beta2", type=float, required=True)
    parser.add_argument("--eps", type=float, required=True)
    parser.add_argument("--iterations", type=int, required=True)
    parser.add_argument("--lr-final", type=float,
                        help="cosine schedule: the rate goes from --lr at the first step to "
                        "this at the last, along half a cosine")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    content_layers = args.content_layers.split(",")
    style_layers = args.style_layers.split(",")
    style_weights = [1.0 / len(style_layers)] * len(style_layers)

    extract = Extractor(args.model)
    content = read_ppm(args.content)
    style = read_ppm(args.style)
    with torch.no_grad():
        content_targets = extract(content, content_layers)
        style_features = extract(style, style_layers)
        style_targets = {name: gram(f) for name, f in style_features.items()}

    image = content.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([image], lr=args.lr, betas=(args.beta1, args.beta2),
                                 eps=args.eps)
    losses = []
    for step in range(args.iterations):
        if args.lr_final is not None and args.iterations > 1:
            progress = step / (args.iterations - 1)
            optimizer.param_groups[0]["lr"] = args.lr_final + 0.5 * (args.lr - args.lr_final) * (
                1 + math.cos(math.pi * progress))
        optimizer.zero_grad()
        features = extract(image, content_layers + style_layers)
        content_loss = sum(torch.mean((features[n] - content_targets[n]) ** 2)
                           for n in content_layers) / len(content_layers)
        style_loss = sum(w * torch.mean((gram(features[n]) - style_targets[n]) ** 2)
                         for n, w in zip(style_layers, style_weights))
        total = args.content_weight * content_loss + args.style_weight * style_loss
        total.backward()
        losses.append(total.item())
        optimizer.step()
        with torch.no_grad():
            image.clamp_(0, 255)

    with open(args.output, "w") as f:
        f.write("".join(f"{loss!r}\n" for loss in losses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
