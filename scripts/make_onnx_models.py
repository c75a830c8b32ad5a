#!/usr/bin/python3
"""Generates the small whole-network ONNX models in tests/data/onnx/.

Run with Debian's python3 and python3-onnx (not a virtualenv's python):

    /usr/bin/python3 scripts/make_onnx_models.py tests/data/onnx [--torch]

--torch also writes the tv_*.onnx / torch_*.onnx graphs with PyTorch's exporter (needs
Debian's python3-torch and python3-torchvision).

Each model is checked with onnx.checker and annotated by onnx.shape_inference, so the
value_info in the committed files holds ONNX's own inferred shapes; the unit tests compare
edgesim's shape inference against them. Weights are random but seeded, so reruns give
identical files. Widths are tiny to keep every file well under 100 KB.
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(12)


class Builder:
    """Collects nodes and initializers with readable, unique names."""

    def __init__(self):
        self.nodes = []
        self.inits = []
        self.count = 0

    def name(self, base):
        self.count += 1
        return f"{base}_{self.count}"

    def weight(self, base, shape, scale=0.1):
        n = self.name(base)
        data = (RNG.standard_normal(shape) * scale).astype(np.float32)
        self.inits.append(numpy_helper.from_array(data, n))
        return n

    def const_i64(self, base, values):
        n = self.name(base)
        self.inits.append(numpy_helper.from_array(np.array(values, dtype=np.int64), n))
        return n

    def const_f32(self, base, values):
        n = self.name(base)
        self.inits.append(numpy_helper.from_array(np.array(values, dtype=np.float32), n))
        return n

    def node(self, op, inputs, name, outputs=1, **attrs):
        outs = [f"{name}_out{i}" if outputs > 1 else f"{name}_out" for i in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs if outputs > 1 else outs[0]

    def conv_bn(self, x, name, cin, cout, k, stride=1, group=1, act="Relu"):
        w = self.weight(f"{name}.weight", [cout, cin // group, k, k])
        y = self.node("Conv", [x, w], name, kernel_shape=[k, k], strides=[stride, stride],
                      pads=[k // 2] * 4, group=group)
        scale = self.const_f32(f"{name}.bn.scale", np.ones(cout))
        bias = self.const_f32(f"{name}.bn.bias", np.zeros(cout))
        mean = self.const_f32(f"{name}.bn.mean", np.zeros(cout))
        var = self.const_f32(f"{name}.bn.var", np.ones(cout))
        y = self.node("BatchNormalization", [y, scale, bias, mean, var], f"{name}.bn")
        if act == "Relu":
            y = self.node("Relu", [y], f"{name}.relu")
        elif act == "Relu6":
            lo = self.const_f32("relu6.min", 0.0)
            hi = self.const_f32("relu6.max", 6.0)
            y = self.node("Clip", [y, lo, hi], f"{name}.relu6")
        elif act == "HardSwish":
            y = self.node("HardSwish", [y], f"{name}.hswish")
        return y


def save(graph, opset, path):
    model = helper.make_model(graph, producer_name="edgesim make_onnx_models.py",
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    model = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    onnx.save(model, path)
    print(f"{path}: {os.path.getsize(path)} bytes, {len(graph.node)} nodes")


def resnet(out_dir):
    """A ResNet-style CNN: stem, a basic block, a strided block with a 1x1 projection
    shortcut, global average pooling and a classifier (He et al., CVPR 2016, at tiny width)."""
    b = Builder()
    x = "image"
    y = b.conv_bn(x, "stem", 3, 8, 3)
    y = b.node("MaxPool", [y], "stem.pool", kernel_shape=[2, 2], strides=[2, 2])
    # Basic block, identity shortcut.
    r = b.conv_bn(y, "block1.conv1", 8, 8, 3)
    r = b.conv_bn(r, "block1.conv2", 8, 8, 3, act=None)
    y = b.node("Add", [r, y], "block1.add")
    y = b.node("Relu", [y], "block1.relu")
    # Strided block, projection shortcut.
    r = b.conv_bn(y, "block2.conv1", 8, 16, 3, stride=2)
    r = b.conv_bn(r, "block2.conv2", 16, 16, 3, act=None)
    s = b.conv_bn(y, "block2.shortcut", 8, 16, 1, stride=2, act=None)
    y = b.node("Add", [r, s], "block2.add")
    y = b.node("Relu", [y], "block2.relu")
    y = b.node("GlobalAveragePool", [y], "pool")
    y = b.node("Flatten", [y], "flatten", axis=1)
    w = b.weight("fc.weight", [10, 16])
    bias = b.const_f32("fc.bias", np.zeros(10))
    y = b.node("Gemm", [y, w, bias], "fc", transB=1)
    graph = helper.make_graph(
        b.nodes, "resnet_tiny",
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", 3, 32, 32])],
        [helper.make_tensor_value_info(y, TensorProto.FLOAT, ["batch", 10])], b.inits)
    save(graph, 13, os.path.join(out_dir, "resnet_tiny.onnx"))


def mobilenet(out_dir):
    """A MobileNetV2-style network: a strided stem, depthwise-separable convolutions and an
    inverted residual block with expansion (Sandler et al., CVPR 2018, at tiny width), ending
    in the Shape/Gather/Unsqueeze/Concat/Reshape flatten that torch.onnx.export emits for
    x.view(x.size(0), -1)."""
    b = Builder()
    x = "image"
    y = b.conv_bn(x, "stem", 3, 8, 3, stride=2, act="Relu6")
    y = b.conv_bn(y, "sep.dw", 8, 8, 3, group=8, act="Relu6")
    y = b.conv_bn(y, "sep.pw", 8, 16, 1, act=None)
    r = b.conv_bn(y, "ir.expand", 16, 48, 1, act="Relu6")
    r = b.conv_bn(r, "ir.dw", 48, 48, 3, group=48, act="Relu6")
    r = b.conv_bn(r, "ir.project", 48, 16, 1, act=None)
    y = b.node("Add", [y, r], "ir.add")
    y = b.conv_bn(y, "head.dw_s2", 16, 16, 3, stride=2, group=16, act="HardSwish")
    y = b.node("AveragePool", [y], "head.pool", kernel_shape=[8, 8])
    shape = b.node("Shape", [y], "flatten.shape")
    zero = b.const_i64("flatten.zero", 0)
    n = b.node("Gather", [shape, zero], "flatten.gather", axis=0)
    axes = b.const_i64("flatten.axes", [0])
    n = b.node("Unsqueeze", [n, axes], "flatten.unsqueeze")
    minus_one = b.const_i64("flatten.minus_one", [-1])
    target = b.node("Concat", [n, minus_one], "flatten.concat", axis=0)
    y = b.node("Reshape", [y, target], "flatten.reshape")
    w = b.weight("classifier.weight", [16, 10])
    y = b.node("MatMul", [y, w], "classifier")
    graph = helper.make_graph(
        b.nodes, "mobilenet_tiny",
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["N", 3, 32, 32])],
        [helper.make_tensor_value_info(y, TensorProto.FLOAT, ["N", 10])], b.inits)
    save(graph, 14, os.path.join(out_dir, "mobilenet_tiny.onnx"))


def transformer(out_dir, d=32, heads=4, ffn=64, seq=16):
    """One post-norm transformer encoder layer (Vaswani et al., NeurIPS 2017): multi-head
    self-attention with batched MatMuls per head, residual adds, LayerNormalization and an
    erf-form GELU feed-forward, as torch.onnx.export writes nn.TransformerEncoderLayer."""
    b = Builder()
    x = "tokens"
    dh = d // heads

    def linear(inp, name, cin, cout):
        w = b.weight(f"{name}.weight", [cin, cout])
        bias = b.const_f32(f"{name}.bias", np.zeros(cout))
        y = b.node("MatMul", [inp, w], name)
        return b.node("Add", [y, bias], f"{name}.bias_add")

    def split_heads(t, name):
        shape = b.const_i64(f"{name}.shape", [0, 0, heads, dh])
        t = b.node("Reshape", [t, shape], f"{name}.reshape")
        return b.node("Transpose", [t], f"{name}.transpose", perm=[0, 2, 1, 3])

    q = split_heads(linear(x, "attn.q", d, d), "attn.q")
    k = split_heads(linear(x, "attn.k", d, d), "attn.k")
    v = split_heads(linear(x, "attn.v", d, d), "attn.v")
    kt = b.node("Transpose", [k], "attn.k_t", perm=[0, 1, 3, 2])
    scores = b.node("MatMul", [q, kt], "attn.scores")
    scale = b.const_f32("attn.scale", float(np.sqrt(dh)))
    scores = b.node("Div", [scores, scale], "attn.scale_div")
    probs = b.node("Softmax", [scores], "attn.softmax", axis=-1)
    ctx = b.node("MatMul", [probs, v], "attn.context")
    ctx = b.node("Transpose", [ctx], "attn.merge_transpose", perm=[0, 2, 1, 3])
    merged = b.const_i64("attn.merge_shape", [0, 0, d])
    ctx = b.node("Reshape", [ctx, merged], "attn.merge_reshape")
    out = linear(ctx, "attn.out", d, d)
    y = b.node("Add", [x, out], "attn.residual")
    g1 = b.const_f32("norm1.scale", np.ones(d))
    b1 = b.const_f32("norm1.bias", np.zeros(d))
    y = b.node("LayerNormalization", [y, g1, b1], "norm1", axis=-1, epsilon=1e-5)
    h = linear(y, "ffn.up", d, ffn)
    # GELU(x) = x * 0.5 * (1 + erf(x / sqrt(2))), PyTorch's export before opset 20.
    sqrt2 = b.const_f32("gelu.sqrt2", float(np.sqrt(2.0)))
    one = b.const_f32("gelu.one", 1.0)
    half = b.const_f32("gelu.half", 0.5)
    e = b.node("Div", [h, sqrt2], "gelu.div")
    e = b.node("Erf", [e], "gelu.erf")
    e = b.node("Add", [e, one], "gelu.add")
    e = b.node("Mul", [h, e], "gelu.mul")
    h = b.node("Mul", [e, half], "gelu.half_mul")
    h = linear(h, "ffn.down", ffn, d)
    y = b.node("Add", [y, h], "ffn.residual")
    g2 = b.const_f32("norm2.scale", np.ones(d))
    b2 = b.const_f32("norm2.bias", np.zeros(d))
    y = b.node("LayerNormalization", [y, g2, b2], "norm2", axis=-1, epsilon=1e-5)
    graph = helper.make_graph(
        b.nodes, "transformer_encoder_tiny",
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", seq, d])],
        [helper.make_tensor_value_info(y, TensorProto.FLOAT, ["batch", seq, d])], b.inits)
    save(graph, 17, os.path.join(out_dir, "transformer_encoder_tiny.onnx"))


def with_conv_transpose(out_dir):
    """A small encoder-decoder step with a ConvTranspose (U-Net style upsampling)."""
    b = Builder()
    x = "features"
    y = b.conv_bn(x, "enc", 4, 8, 3)
    w = b.weight("up1.weight", [8, 4, 2, 2])
    y = b.node("ConvTranspose", [y, w], "up1", kernel_shape=[2, 2], strides=[2, 2])
    y = b.node("Relu", [y], "up1.relu")
    graph = helper.make_graph(
        b.nodes, "decoder_tiny",
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, 4, 8, 8])],
        [helper.make_tensor_value_info(y, TensorProto.FLOAT, [1, 4, 16, 16])], b.inits)
    save(graph, 13, os.path.join(out_dir, "conv_transpose_tiny.onnx"))


def with_unsupported(out_dir):
    """A super-resolution tail with DepthToSpace (pixel shuffle), which edgesim does not
    import: for the error and --set workload.onnx.unsupported=skip paths."""
    b = Builder()
    x = "features"
    y = b.conv_bn(x, "enc", 4, 8, 3)
    y = b.node("DepthToSpace", [y], "shuffle", blocksize=2, mode="CRD")
    y = b.node("Relu", [y], "shuffle.relu")
    graph = helper.make_graph(
        b.nodes, "pixel_shuffle_tiny",
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, 4, 8, 8])],
        [helper.make_tensor_value_info(y, TensorProto.FLOAT, [1, 2, 16, 16])], b.inits)
    save(graph, 13, os.path.join(out_dir, "pixel_shuffle_tiny.onnx"))


def torch_exports(out_dir):
    """Graphs written by PyTorch's own exporter (torch.onnx.export of torchvision models and
    nn.TransformerEncoder, random weights), with the weights moved to an external-data file
    that is not kept: edgesim reads shapes, never weight values, and the graphs stay small.
    Needs Debian's python3-torch and python3-torchvision; run with --torch."""
    import tempfile

    import torch
    import torchvision

    torch.manual_seed(0)
    vit = torchvision.models.VisionTransformer(image_size=224, patch_size=16, num_layers=2,
                                               num_heads=12, hidden_dim=768, mlp_dim=3072)
    encoder = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128,
                                         batch_first=True), num_layers=2)
    models = [
        ("tv_resnet18", torchvision.models.resnet18(), (1, 3, 224, 224), 13),
        ("tv_mobilenet_v2", torchvision.models.mobilenet_v2(), (1, 3, 224, 224), 13),
        ("tv_mobilenet_v3_small", torchvision.models.mobilenet_v3_small(), (1, 3, 224, 224), 17),
        ("tv_squeezenet1_1", torchvision.models.squeezenet1_1(), (1, 3, 224, 224), 17),
        ("tv_vit_2layers", vit, (1, 3, 224, 224), 17),
        ("torch_transformer_encoder", encoder, (1, 32, 64), 17),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, model, shape, opset in models:
            model.eval()
            full = os.path.join(tmp, name + ".onnx")
            torch.onnx.export(model, torch.randn(*shape), full, opset_version=opset,
                              input_names=["x"], output_names=["y"],
                              dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                              do_constant_folding=True)
            graph = onnx.load(full)
            onnx.checker.check_model(graph)
            path = os.path.join(out_dir, name + ".onnx")
            onnx.save_model(graph, path, save_as_external_data=True,
                            all_tensors_to_one_file=True, location=name + ".weights",
                            size_threshold=256)
            os.remove(os.path.join(out_dir, name + ".weights"))
            print(f"{path}: {os.path.getsize(path)} bytes (weights not kept)")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    out_dir = args[0] if args else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "onnx")
    os.makedirs(out_dir, exist_ok=True)
    resnet(out_dir)
    mobilenet(out_dir)
    transformer(out_dir)
    with_conv_transpose(out_dir)
    with_unsupported(out_dir)
    if "--torch" in sys.argv:
        torch_exports(out_dir)


if __name__ == "__main__":
    main()
