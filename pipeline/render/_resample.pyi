import numpy as np

# dst(x, y) = src(ax * x + cx, ay * y + cy) for C-contiguous uint8 planes (see _resample.c)
def resample(
    src: np.ndarray, sw: int, sh: int, sstride: int, dst: np.ndarray, dw: int, dh: int, dstride: int,
    ax: float, cx: float, ay: float, cy: float,
) -> None: ...  # fmt: skip
