r"""Dynamic patch-wise convolution (HyperSeg, Nirkin et al., CVPR 2021, Eq. 8).

The image is split into an :math:`N_h \times N_w` grid of patches of
:math:`p_h \times p_w` pixels, and patch :math:`(i, j)` is convolved with its
own kernel :math:`\theta_{ij}`:

.. math::
    Y_{ij} = X_{ij} * \theta_{ij} \qquad \text{(Eq. 8)}

where :math:`X_{ij}` is the patch *with a halo* of :math:`\lfloor K/2 \rfloor`
pixels: the halo holds the real pixels of the neighbouring patches, and
padding (``'zeros'``, ``'reflect'``, ``'replicate'``) is applied only at the
image border. Equivalently, every output pixel is the ``F.conv2d`` response of
the padded image at that pixel, computed with the kernel of the patch the
output pixel belongs to.

Three loop-free implementations compute the same thing (``impl=``); ``'auto'``
picks the fastest per case as measured by ``scripts/bench_hyperseg.py``:

* ``'bmm'`` -- im2col (``F.unfold``; a plain reshape for 1x1) gathered per
  patch, then one batched matmul over batch x patches x groups.
* ``'grouped_conv'`` -- the halo'd patches stacked as the channels of one
  image and convolved by a single grouped ``F.conv2d`` with
  ``groups = B * N_h * N_w * groups``.
* ``'taps'`` -- a multiply-accumulate per kernel tap over shifted views of the
  padded image, the weights broadcast per patch (an elementwise ``addcmul``
  for depthwise kernels, a per-patch contraction otherwise).

On the 2-core CPU (32 channels, 128x256, 16x16 patches, batch 1 and 8, 1-2 threads)
``'auto'`` takes 1.1-2.5x the time of a static NCHW ``F.conv2d`` for 1x1 kernels
(``'bmm'``: the matmul, plus two regrouping copies) and 0.6-2.3x for 3x3 depthwise
ones (``'taps'``: nine multiply-adds over cache-sized chunks), but 1.8-4.7x the
static conv in channels_last, oneDNN's fastest layout here. Built from torch ops, a
patch-wise kernel moves ``x`` at least twice more than the fused static kernel, and
one copy of ``x`` alone costs 0.6-0.8x that whole static 3x3 depthwise conv at batch
1; see ``scripts/bench_hyperseg.py`` and the README.
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from ..check import check_choice, check_floating, check_ndim, check_same_device
from .amp import autocast_enabled

PADDING_MODES = ('zeros', 'reflect', 'replicate')
IMPLS = ('auto', 'bmm', 'grouped_conv', 'taps')
#: CPU cache blocking of the depthwise ``'taps'`` path: (image, channel) planes per chunk
_TAPS_CHUNK_BYTES = 4 << 20


def _pad(x: Tensor, pad_h: int, pad_w: int, padding_mode: str) -> Tensor:
    if pad_h == 0 and pad_w == 0:
        return x
    mode = 'constant' if padding_mode == 'zeros' else padding_mode
    return F.pad(x, (pad_w, pad_w, pad_h, pad_h), mode=mode)


def _merge_patches(out: Tensor, B: int, C_out: int, N_h: int, N_w: int, p_h: int,
                   p_w: int) -> Tensor:
    """Patch-major outputs ``(B, N_h, N_w, C_out, p_h, p_w)`` (any view of them) back to
    ``(B, C_out, H, W)``."""
    # (B, C_out, N_h, p_h, N_w, p_w)
    out = out.view(B, N_h, N_w, C_out, p_h, p_w).permute(0, 3, 1, 4, 2, 5)
    return out.reshape(B, C_out, N_h * p_h, N_w * p_w)


def _dpw_bmm(x: Tensor, weight: Tensor, bias: Optional[Tensor], groups: int, pad_h: int, pad_w: int,
             padding_mode: str) -> Tensor:
    B, C, H, W = x.shape
    _, C_out, cg, K_h, K_w, N_h, N_w = weight.shape
    G, og, L = groups, C_out // groups, cg * K_h * K_w
    p_h, p_w = H // N_h, W // N_w
    if K_h == 1 and K_w == 1:
        cols = x.reshape(B, G, L, N_h, p_h, N_w, p_w)
    else:  # im2col of the padded image, one column per output pixel
        cols = F.unfold(_pad(x, pad_h, pad_w, padding_mode), (K_h, K_w))  # (B, C*K_h*K_w, H*W)
        cols = cols.view(B, G, L, N_h, p_h, N_w, p_w)
    # (B N G, L, P)
    cols = cols.permute(0, 3, 5, 1, 2, 4, 6).reshape(B * N_h * N_w * G, L, p_h * p_w)
    # (B N G, og, L)
    w = weight.reshape(B, G, og, L, N_h, N_w).permute(0, 4, 5, 1, 2, 3).reshape(-1, og, L)
    if bias is None:
        out = torch.bmm(w, cols)  # (B N G, og, P)
    else:  # the bias rides along in the matmul
        b = bias.view(1, G, og, 1).expand(B * N_h * N_w, G, og, 1).reshape(-1, og, 1)
        out = torch.baddbmm(b, w, cols)
    return _merge_patches(out, B, C_out, N_h, N_w, p_h, p_w)


def _dpw_grouped_conv(x: Tensor, weight: Tensor, bias: Optional[Tensor], groups: int, pad_h: int,
                      pad_w: int, padding_mode: str) -> Tensor:
    B, C, H, W = x.shape
    _, C_out, cg, K_h, K_w, N_h, N_w = weight.shape
    p_h, p_w = H // N_h, W // N_w
    N = N_h * N_w
    xp = _pad(x, pad_h, pad_w, padding_mode)
    if N == 1:  # one kernel per image: the batch goes into the groups, no copy
        win = xp.reshape(1, B * C, H + 2 * pad_h, W + 2 * pad_w)
    else:  # overlapping windows: each patch with its halo of real neighbouring pixels
        # (B, C, N_h, N_w, ph', pw')
        win = xp.unfold(2, p_h + 2 * pad_h, p_h).unfold(3, p_w + 2 * pad_w, p_w)
        win = win.permute(0, 2, 3, 1, 4, 5).reshape(1, B * N * C, p_h + 2 * pad_h, p_w + 2 * pad_w)
    # (B N C_out, cg, K_h, K_w)
    w = weight.permute(0, 5, 6, 1, 2, 3, 4).reshape(B * N * C_out, cg, K_h, K_w)
    out = F.conv2d(win, w, None if bias is None else bias.repeat(B * N), groups=B * N * groups)
    if N == 1:
        return out.view(B, C_out, H, W)
    return _merge_patches(out, B, C_out, N_h, N_w, p_h, p_w)


def _taps_depthwise(x: Tensor, w: Tensor, b: Optional[Tensor], pad_h: int, pad_w: int,
                    padding_mode: str, K_w: int, N_h: int, p_h: int) -> Tensor:
    """Depthwise patch-wise taps of the planes ``x`` (P, 1, H, W) with the row-expanded weights
    ``w`` (P, taps, N_h, 1, W): one multiply-add per tap; (P, N_h, p_h, W)."""
    H, W = x.shape[-2:]
    xp = _pad(x, pad_h, pad_w, padding_mode)[:, 0]
    out = None
    for k in range(w.size(1)):
        dy, dx = divmod(k, K_w)
        tap = xp[:, dy:dy + H, dx:dx + W].unflatten(1, (N_h, p_h))  # (P, N_h, p_h, W)
        if out is None:
            out = tap * w[:, k] if b is None else torch.addcmul(b, tap, w[:, k])
        else:
            out.addcmul_(tap, w[:, k])
    return out


def _dpw_taps(x: Tensor, weight: Tensor, bias: Optional[Tensor], groups: int, pad_h: int,
              pad_w: int, padding_mode: str) -> Tensor:
    B, C, H, W = x.shape
    _, C_out, cg, K_h, K_w, N_h, N_w = weight.shape
    G, og = groups, C_out // groups
    p_h, p_w = H // N_h, W // N_w
    # depthwise: one multiply-accumulate per tap over (image, channel) planes
    if cg == 1 and og == 1:
        planes = B * C
        # weights repeated along each patch row -> long contiguous inner loops
        w = weight.reshape(planes, K_h * K_w, N_h, N_w, 1).expand(-1, -1, -1, -1, p_w)
        w = w.reshape(planes, K_h * K_w, N_h, 1, W)  # (B C, taps, N_h, 1, W)
        b = None if bias is None else bias.repeat(B).view(planes, 1, 1, 1)
        xs = x.reshape(planes, 1, H, W)
        if x.device.type != 'cpu' or torch.compiler.is_compiling():
            # one pass (under torch.compile / torch.export a loop over B C / chunk would
            # specialise the batch size)
            chunks = [_taps_depthwise(xs, w, b, pad_h, pad_w, padding_mode, K_w, N_h, p_h)]
        else:  # on the CPU, planes in cache-sized chunks (9 passes over a chunk stay in cache)
            step = max(1, _TAPS_CHUNK_BYTES // (H * W * x.element_size()))
            chunks = [_taps_depthwise(xs[s:s + step], w[s:s + step],
                                      None if b is None else b[s:s + step], pad_h, pad_w,
                                      padding_mode, K_w, N_h, p_h)
                      for s in range(0, planes, step)]
        out = chunks[0] if len(chunks) == 1 else torch.cat(chunks)
        return out.view(B, C_out, H, W)
    xp = _pad(x, pad_h, pad_w, padding_mode)
    w = weight.reshape(B, G, og, cg, K_h, K_w, N_h, N_w)
    out = None
    for dy in range(K_h):
        for dx in range(K_w):
            tap = xp[:, :, dy:dy + H, dx:dx + W].reshape(B, G, cg, N_h, p_h, N_w, p_w)
            term = torch.einsum('bgocnm,bgcnhmw->bgonhmw', w[:, :, :, :, dy, dx], tap)
            out = term if out is None else out.add_(term)
    out = out.reshape(B, C_out, H, W)
    return out if bias is None else out + bias.view(1, -1, 1, 1)


_IMPL_FNS = {'bmm': _dpw_bmm, 'grouped_conv': _dpw_grouped_conv, 'taps': _dpw_taps}


def _auto_impl(K_h: int, K_w: int, N: int, cg: int, og: int) -> str:
    """Fastest implementation per case (CPU, ``scripts/bench_hyperseg.py``)."""
    if N == 1:
        return 'grouped_conv'  # a plain (grouped over the batch) F.conv2d
    if K_h == 1 and K_w == 1:
        return 'bmm'
    if cg == 1 and og == 1:
        return 'taps'
    return 'grouped_conv'


def _pair(v: Union[int, Sequence[int]], name: str) -> Tuple[int, int]:
    if isinstance(v, int) and not isinstance(v, bool):
        return v, v
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(isinstance(a, int) for a in v):
        return int(v[0]), int(v[1])
    raise TypeError(f"{name} must be an int or a pair of ints, got {v!r}")


def dpw_conv2d(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None, *, groups: int = 1,
               padding: Optional[Union[int, Tuple[int, int]]] = None, padding_mode: str = 'zeros',
               impl: str = 'auto') -> Tensor:
    r"""Dynamic patch-wise convolution :math:`Y_{ij} = X_{ij} * \theta_{ij}` (HyperSeg, Eq. 8).

    Patch :math:`(i, j)` of the :math:`N_h \times N_w` grid (each
    :math:`p_h = H / N_h` by :math:`p_w = W / N_w` pixels) is convolved with
    ``weight[..., i, j]``; its halo holds the real pixels of the neighbouring
    patches and the padding applies only at the image border. With
    :math:`N_h = N_w = 1` this is ``F.conv2d(x, weight[b, ..., 0, 0], padding=K // 2)``
    per image. Stride 1 and dilation 1 only.

    Args:
        x (Tensor): input images.
        weight (Tensor): one ``F.conv2d`` kernel per image and patch.
        bias (Tensor, optional): a static bias per output channel (default ``None``).
        groups (int): blocked connections from input to output channels, as in
            ``F.conv2d``. (default: ``1``)
        padding (int or (int, int), optional): the halo; must be
            :math:`((K_h - 1) / 2, (K_w - 1) / 2)` so that each output patch keeps
            its patch's size. (default: ``None`` = that value)
        padding_mode (str): ``'zeros'``, ``'reflect'`` or ``'replicate'``, applied at
            the image border only. (default: ``'zeros'``)
        impl (str): ``'auto'``, ``'bmm'``, ``'grouped_conv'`` or ``'taps'`` (see the
            module docstring); all give the same result. (default: ``'auto'``)

    Shapes:
        - **input:** x :math:`(B, C_{in}, H, W)`,
          weight :math:`(B, C_{out}, C_{in} / G, K_h, K_w, N_h, N_w)`, bias :math:`(C_{out},)`
        - **output:** :math:`(B, C_{out}, H, W)`
    """
    check_ndim(x, 'x', 4, '(B, C_in, H, W)')
    check_floating(x, 'x')
    check_ndim(weight, 'weight', 7, '(B, C_out, C_in / groups, K_h, K_w, N_h, N_w)')
    check_floating(weight, 'weight')
    check_same_device('x', x, 'weight', weight)
    if weight.dtype != x.dtype:
        if not autocast_enabled(x):
            raise TypeError(f"weight must have the dtype of x ({x.dtype}), got {weight.dtype}")
        # autocast: a generated bf16 kernel meets a float32 map (or the other way round); both in
        # the wider dtype, the patch-wise GEMMs / convolutions then cast as autocast does
        dtype = torch.promote_types(x.dtype, weight.dtype)
        x, weight = x.to(dtype), weight.to(dtype)
    check_choice(padding_mode, 'padding_mode', PADDING_MODES)
    check_choice(impl, 'impl', IMPLS)
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    B, C_in, H, W = x.shape
    Bw, C_out, cg, K_h, K_w, N_h, N_w = weight.shape
    if Bw != B:
        raise ValueError(f"weight must have one kernel set per image: weight.size(0) = B = {B}, "
                         f"got {Bw}")
    if C_in % groups or C_out % groups:
        raise ValueError(f"groups = {groups} must divide C_in = {C_in} and C_out = {C_out}")
    if cg != C_in // groups:
        raise ValueError("weight must have shape (B, C_out, C_in / groups, K_h, K_w, N_h, N_w) "
                         f"with C_in / groups = {C_in // groups}, got {tuple(weight.shape)}")
    if K_h % 2 == 0 or K_w % 2 == 0:
        raise ValueError(f"kernel size must be odd, got {K_h}x{K_w}")
    want = (K_h // 2, K_w // 2)
    if padding is not None and _pair(padding, 'padding') != want:
        raise ValueError(f"padding must be (K - 1) / 2 = {want} for a {K_h}x{K_w} kernel (each "
                         f"output patch keeps its patch's size), got {padding!r}")
    for name, size, n, dim in (('height H', H, N_h, 5), ('width W', W, N_w, 6)):
        if n < 1 or size % n:
            raise ValueError(f"x {name} = {size} must be divisible by the weight grid size {n} "
                             f"(weight dim {dim})")
    if padding_mode == 'reflect' and (want[0] >= H or want[1] >= W):
        raise ValueError(f"padding_mode='reflect' needs x larger than the padding {want}, got "
                         f"{H}x{W}")
    if bias is not None:
        check_floating(bias, 'bias')
        if bias.shape != (C_out,):
            raise ValueError(f"bias must have shape (C_out,) = ({C_out},), got {tuple(bias.shape)}")
    if impl == 'auto':
        impl = _auto_impl(K_h, K_w, N_h * N_w, cg, C_out // groups)
    return _IMPL_FNS[impl](x.contiguous(), weight, bias, groups, want[0], want[1], padding_mode)


__all__ = ['dpw_conv2d', 'PADDING_MODES', 'IMPLS']
