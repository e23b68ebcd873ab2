#!/usr/bin/env python3
"""Test of scripts/export_vgg19.py --caffe-state-dict, on a random state dict in the key layout
of neural-style-pt's vgg19-d01eb7cb.pth (the Caffe VGG_ILSVRC_19_layers in torchvision's
layout: "features.N.weight/bias" for the 16 convolutions, "classifier.0/3/6.weight/bias").

    caffe_export_test.py NST

1. The export's features for an RGB image equal a direct computation with the same weights on
   the Caffe input (BGR, 0..255 minus the mean 103.939, 116.779, 123.68, no division), both
   through the module's forward and through its convention attributes the way nst applies
   them. The same weights without the classifier keys give the same layers, and the keys of
   the file as first published (classifier.1/4/6) are accepted too.
2. nst paints a 32x32 image with the export and writes a whole PNG of that size; its first
   style loss equals the one computed from the Caffe convention directly.
3. Files that are not a state dict, lack a features key or have a wrong shape are refused
   with status 1 and a message naming the file and the fault.

Only torch and the standard library.
"""
import collections
import contextlib
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "..", "..", "scripts")
sys.path.insert(0, SCRIPTS)
import export_vgg19  # noqa: E402

CAFFE_MEAN_BGR = [103.939, 116.779, 123.68]
# (state dict index, output channels) of VGG19's convolutions; a max pool follows the last
# convolution of each block.
CONVS = [(0, 64), (2, 64), (5, 128), (7, 128), (10, 256), (12, 256), (14, 256), (16, 256),
         (19, 512), (21, 512), (23, 512), (25, 512), (28, 512), (30, 512), (32, 512), (34, 512)]
LAST_OF_BLOCK = {2, 7, 16, 25, 34}
# The fully connected layers' shapes in the file: (index, out, in).
CLASSIFIER = [(0, 4096, 512 * 7 * 7), (3, 4096, 4096), (6, 1000, 4096)]
TOLERANCE = 1e-4


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def random_state_dict(seed):
    """Random weights in the file's key layout. The convolutions are Kaiming-normal (so that
    activations neither vanish nor explode), the biases large enough to matter. The classifier
    tensors have their real shapes but one shared zero element each (stride 0), so that the
    file stays small: the export ignores them."""
    generator = torch.Generator().manual_seed(seed)
    state = collections.OrderedDict()
    in_channels = 3
    for index, out_channels in CONVS:
        std = (2.0 / (9 * out_channels)) ** 0.5
        state[f"features.{index}.weight"] = (
            torch.randn(out_channels, in_channels, 3, 3, generator=generator) * std)
        state[f"features.{index}.bias"] = torch.randn(out_channels, generator=generator) * 2.0
        in_channels = out_channels
    for index, out_features, in_features in CLASSIFIER:
        state[f"classifier.{index}.weight"] = torch.zeros(1).expand(out_features, in_features)
        state[f"classifier.{index}.bias"] = torch.zeros(1).expand(out_features)
    return state


def reference_features(state, bgr_input):
    """VGG19's layers computed directly from the state dict in float64: {name: activation}."""
    out = {}
    x = bgr_input.double()
    block, conv = 1, 1
    for index, _ in CONVS:
        x = F.conv2d(x, state[f"features.{index}.weight"].double(),
                     state[f"features.{index}.bias"].double(), padding=1)
        x = F.relu(x)
        out[f"relu{block}_{conv}"] = x
        conv += 1
        if index in LAST_OF_BLOCK:
            x = F.max_pool2d(x, 2, 2)
            out[f"pool{block}"] = x
            block, conv = block + 1, 1
    return out


def caffe_input(rgb255):
    """Caffe's convention written out independently of the export: BGR, minus the mean."""
    bgr = rgb255[:, [2, 1, 0]]
    return bgr - torch.tensor(CAFFE_MEAN_BGR, dtype=rgb255.dtype).view(1, 3, 1, 1)


def relative_error(value, reference):
    return ((value.double() - reference).abs().max() / reference.abs().max()).item()


def features_as_nst_computes_them(model, rgb255, wanted):
    """The convention attributes applied as src/engine/vgg.cpp's normalise() does, then the
    layers of `features` one by one (nst does not call the module's forward)."""
    x = rgb255.flip(1) if model.input_order == "BGR" else rgb255
    mean = torch.tensor(list(model.input_mean)).view(1, 3, 1, 1)
    std = torch.tensor(list(model.input_std)).view(1, 3, 1, 1)
    x = (x * float(model.input_scale) - mean) / std
    out, block, conv = {}, 1, 1
    for layer in model.features.children():
        x = layer(x)
        kind = layer.original_name
        if kind == "ReLU":
            out[f"relu{block}_{conv}"] = x
            conv += 1
        elif kind == "MaxPool2d":
            out[f"pool{block}"] = x
            block, conv = block + 1, 1
    return {name: out[name] for name in wanted}


# --- PNG ------------------------------------------------------------------------------------


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_png(path, rgb):
    """rgb: [3, H, W] uint8 tensor."""
    _, height, width = rgb.shape
    pixels = bytes(rgb.permute(1, 2, 0).contiguous().view(-1).tolist())
    rows = b"".join(b"\0" + pixels[y * width * 3:(y + 1) * width * 3] for y in range(height))
    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.write(png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        out.write(png_chunk(b"IDAT", zlib.compress(rows)))
        out.write(png_chunk(b"IEND", b""))


def read_png(path):
    """An 8-bit, non-interlaced RGB/RGBA/grey PNG as (width, height, channels, pixel bytes);
    every chunk's CRC checked, the filters undone."""
    with open(path, "rb") as f:
        data = f.read()
    check(data.startswith(b"\x89PNG\r\n\x1a\n"), f"{path} is not a PNG")
    at, idat, header = 8, b"", None
    while True:
        check(at + 12 <= len(data), f"{path} ends before IEND")
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        check(zlib.crc32(kind + body) == crc, f"{path}: bad CRC in {kind!r}")
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        at += 12 + length
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    check(depth == 8 and channels and interlace == 0,
          f"{path}: unexpected PNG format (depth {depth}, colour {colour}, interlace {interlace})")
    raw = zlib.decompress(idat)
    stride = width * channels
    check(len(raw) == height * (stride + 1), f"{path}: pixel data of the wrong length")
    pixels, previous = bytearray(), bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            else:
                check(kind == 0, f"{path}: unknown PNG filter {kind}")
        pixels += line
        previous = line
    return width, height, channels, bytes(pixels)


# --- the cases ------------------------------------------------------------------------------


def export(state_path, model_path):
    """export_vgg19.py's main, in this process (which has torch loaded already)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = export_vgg19.main(["--caffe-state-dict", state_path, "-o", model_path])
    check(status == 0, f"export failed with status {status}: {stderr.getvalue().strip()}")


def check_features(state, model_path, work):
    model = torch.jit.load(model_path, map_location="cpu")
    check(model.input_order == "BGR", f"input_order is {model.input_order}, expected BGR")
    check(float(model.input_scale) == 1.0, f"input_scale is {model.input_scale}, expected 1")
    check(list(model.input_mean) == CAFFE_MEAN_BGR,
          f"input_mean is {list(model.input_mean)}, expected {CAFFE_MEAN_BGR}")
    check(list(model.input_std) == [1.0, 1.0, 1.0],
          f"input_std is {list(model.input_std)}, expected 1, 1, 1")
    check(float(model.feature_scale) == 1.0, f"feature_scale is {model.feature_scale}, expected 1")

    generator = torch.Generator().manual_seed(7)
    rgb255 = (torch.rand(1, 3, 32, 32, generator=generator) * 255).round()
    reference = reference_features(state, caffe_input(rgb255))
    with torch.no_grad():
        error = relative_error(model(rgb255), reference["pool5"])
        check(error <= TOLERANCE, f"the module's forward is off by {error:.2e} (relative) at pool5")
        wanted = ["relu1_1", "relu2_2", "relu3_1", "relu4_1", "relu5_1", "pool5"]
        for name, value in features_as_nst_computes_them(model, rgb255, wanted).items():
            error = relative_error(value, reference[name])
            check(error <= TOLERANCE,
                  f"{name} through the convention attributes is off by {error:.2e} (relative)")
    # The comparison can tell the channel orders apart: RGB fed as it is misses by far.
    wrong = reference_features(state, rgb255 - torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1))
    check(relative_error(wrong["relu1_1"], reference["relu1_1"]) > 100 * TOLERANCE,
          "the test image cannot tell RGB from BGR")


def gram(features):
    _, channels, height, width = features.shape
    flat = features.reshape(channels, height * width)
    return flat @ flat.t() / (height * width)


def check_nst(nst, state, model_path, work):
    """nst paints with the export; its first style loss (the content's features against the
    style's, before any step) equals the one computed from the Caffe convention directly, which
    checks nst's own use of the convention attributes (it does not run the module's forward)."""
    content, style = os.path.join(work, "content.png"), os.path.join(work, "style.png")
    y, x = torch.meshgrid(torch.arange(32), torch.arange(32), indexing="ij")
    smooth = torch.stack([x * 8, y * 8, (x + y) * 4]).clamp(0, 255).to(torch.uint8)
    noise = (torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(3)) * 255).to(
        torch.uint8)
    write_png(content, smooth)
    write_png(style, noise)
    style_layers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
    output = os.path.join(work, "out.png")
    result = subprocess.run(
        [nst, "-c", content, "-s", style, "-o", output, "--model", model_path, "--size", "32",
         "--iterations", "3", "--device", "cpu", "--threads", "1", "--precision", "fp32",
         "--seed", "0", "--content-layers", "relu4_2", "--style-layers", ",".join(style_layers),
         "--progress", "json", "--print-every", "1"],
        capture_output=True, text=True)
    check(result.returncode == 0,
          f"nst failed with status {result.returncode}: {result.stderr.strip()}")
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    steps = [e for e in events if e.get("event") == "iteration"]
    check([e["iteration"] for e in steps] == [1, 2, 3],
          f"nst reported iterations {[e['iteration'] for e in steps]}, expected 1, 2, 3")
    check(all(0 < e["loss"] < float("inf") for e in steps),
          f"nst's losses are not finite and positive: {[e['loss'] for e in steps]}")

    def caffe_features(image):
        return reference_features(state, caffe_input(image.unsqueeze(0).double()))

    mine, theirs = caffe_features(smooth), caffe_features(noise)
    expected = sum(torch.mean((gram(mine[n]) - gram(theirs[n])) ** 2).item()
                   for n in style_layers) / len(style_layers)
    error = abs(steps[0]["style_loss"] - expected) / expected
    check(error <= TOLERANCE, f"nst's first style loss is {steps[0]['style_loss']:.6g}; the Caffe "
          f"convention computed directly gives {expected:.6g} (relative error {error:.1e})")

    width, height, channels, pixels = read_png(output)
    check((width, height) == (32, 32), f"nst wrote a {width}x{height} PNG, expected 32x32")
    painted = torch.tensor(list(pixels), dtype=torch.float64).view(32, 32, channels)[..., :3]
    change = (painted - smooth.permute(1, 2, 0).double()).abs().mean().item()
    check(painted.std() > 10, f"nst's output is nearly uniform (std {painted.std():.1f})")
    check(change < 64, f"nst's output differs from its content by {change:.1f} on average; "
          "expected the content after a few small steps")


def refusal(argv_file, work, words):
    """export_vgg19.main on `argv_file` must return 1 and print a message naming the file and
    containing `words`, without writing the output."""
    output = os.path.join(work, "refused.pt")
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        status = export_vgg19.main(["--caffe-state-dict", argv_file, "-o", output])
    message = stderr.getvalue()
    check(status == 1, f"{os.path.basename(argv_file)}: status {status}, expected 1")
    check(argv_file in message and words in message,
          f"{os.path.basename(argv_file)}: message {message.strip()!r} does not name the file "
          f"and say {words!r}")
    check(not os.path.exists(output), f"{os.path.basename(argv_file)}: an output was written")


def check_variants(state, work):
    """The same weights without the classifier keys, in the old (pre-zip) serialisation
    format, give the same layers."""
    features = collections.OrderedDict(
        (key, value) for key, value in state.items() if key.startswith("features."))
    path = os.path.join(work, "features_only.pth")
    torch.save(features, path, _use_new_zipfile_serialization=False)
    loaded = export_vgg19.load_vgg19_features(path).state_dict()
    for key, value in features.items():
        check(torch.equal(loaded[key[len("features."):]], value),
              f"the state dict without classifier keys gives other weights for {key}")
    os.unlink(path)


def check_refusals(state, work):
    def small(shape):
        return torch.zeros(1).expand(*shape)

    def save(name, value):
        path = os.path.join(work, name)
        torch.save(value, path)
        return path

    # Every tensor one shared zero (small files); accepted as it is, so the refusals below
    # come from what is changed.
    layout = collections.OrderedDict((key, small(value.shape)) for key, value in state.items())
    export_vgg19.load_vgg19_features(save("layout.pth", layout))
    # Also accepted: the keys of the file as first published, classifier.1/4/6, which
    # neural-style-pt's download script renames to 0/3/6.
    published = collections.OrderedDict(
        (key.replace("classifier.0.", "classifier.1.").replace("classifier.3.", "classifier.4."),
         value) for key, value in layout.items())
    export_vgg19.load_vgg19_features(save("published.pth", published))

    refusal(save("tensor.pth", torch.zeros(3)), work, "not a state dict")
    # A pickled module (not read: unpickling it could run code); torch's wording varies.
    refusal(save("module.pth", torch.nn.Linear(2, 2)), work, "state dict")
    garbage = os.path.join(work, "garbage.pth")
    with open(garbage, "wb") as f:
        f.write(b"not a torch file\n" * 8)
    refusal(garbage, work, "not a PyTorch state dict file")
    refusal(os.path.join(work, "missing.pth"), work, "cannot read")
    wrapped = {"state_dict": layout}
    refusal(save("wrapped.pth", wrapped), work, "no 'features.*' keys")
    lacking = collections.OrderedDict(layout)
    del lacking["features.34.bias"]
    refusal(save("lacking.pth", lacking), work, "lacks 'features.34.bias'")
    vgg16 = collections.OrderedDict((k, v) for k, v in layout.items()
                                    if not k.startswith(("features.32.", "features.34.")))
    refusal(save("vgg16_like.pth", vgg16), work, "lacks 'features.32.weight'")
    misshapen = collections.OrderedDict(layout)
    misshapen["features.5.weight"] = small((128, 128, 3, 3))
    refusal(save("misshapen.pth", misshapen), work,
            "'features.5.weight' has shape [128, 128, 3, 3]")
    poisoned = collections.OrderedDict(layout)
    poisoned["features.0.bias"] = torch.full((64,), float("nan"))
    refusal(save("nan.pth", poisoned), work, "NaN")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    nst = sys.argv[1]
    # One thread, here and in nst: the work is tiny, and CTest runs other tests alongside,
    # against which two spinning OpenMP threads per process lose several-fold.
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as work:
        try:
            state = random_state_dict(seed=20240601)
            state_path = os.path.join(work, "vgg19-d01eb7cb.pth")
            torch.save(state, state_path)
            model_path = os.path.join(work, "vgg19_caffe.pt")
            export(state_path, model_path)
            os.unlink(state_path)
            check_features(state, model_path, work)
            check_variants(state, work)
            check_nst(nst, state, model_path, work)
            check_refusals(state, work)
        except Failure as failure:
            print(f"FAIL: {failure}", file=sys.stderr)
            return 1
    print("caffe export: features match the Caffe convention, nst runs with it, bad files refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
