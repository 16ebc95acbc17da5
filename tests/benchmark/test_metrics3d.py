"""3D metrics (benchmark.metrics.metrics3d): reference checks on constructed cases."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.metrics.metrics3d import (
    chamfer_matrix,
    coverage,
    iou_distance_matrix,
    mmd,
    one_nna,
    scores,
    surface_points,
)


def _boxes(n: int, size: int = 16, seed: int = 0) -> np.ndarray:
    """(n, size^3) random axis-aligned boxes."""
    rng = np.random.default_rng(seed)
    grids = np.zeros((n, size, size, size), bool)
    for g in grids:
        lo = rng.integers(1, size // 2, 3)
        hi = lo + rng.integers(3, size // 2, 3)
        g[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]] = True
    return grids


def _balls(n: int, size: int = 16, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = np.stack(np.meshgrid(*[np.arange(size) + 0.5] * 3, indexing="ij"), -1)
    grids = np.zeros((n, size, size, size), bool)
    for g in grids:
        centre, radius = rng.uniform(5, size - 5, 3), rng.uniform(2.5, 4.5)
        g[np.linalg.norm(c - centre, axis=-1) < radius] = True
    return grids


def test_chamfer_and_iou_of_known_shapes():
    n = 8
    g = np.zeros((4, n, n, n), bool)
    g[0, 1, 2, 2] = True  # one voxel
    g[1, 4, 2, 2] = True  # one voxel, 3 voxels along +X
    g[2, 1, 2, 2] = g[2, 4, 2, 2] = True  # both
    d = chamfer_matrix(g[:3], g[:3])
    step = (3 / n) ** 2  # squared world distance of 3 voxels
    assert d[0, 1] == pytest.approx(2 * step) and d[0, 0] == 0.0
    # {x1, x4} vs {x1}: A -> B (0 + step) / 2; B -> A 0.
    assert d[2, 0] == pytest.approx(step / 2) and d[0, 2] == pytest.approx(step / 2)
    assert np.allclose(d, d.T)
    assert np.isinf(chamfer_matrix(g[3:], g[:1])).all()  # an empty grid
    # A solid block's surface: only its boundary voxels count.
    block = np.zeros((1, n, n, n), bool)
    block[0, 2:6, 2:6, 2:6] = True
    shell = block.copy()
    shell[0, 3:5, 3:5, 3:5] = False
    assert chamfer_matrix(block, shell)[0, 0] == 0.0
    h = np.zeros((3, 4, 4, 4), bool)
    h[0, :2] = True  # 32 voxels
    h[1, :1] = True  # 16 voxels, inside h[0]
    np.testing.assert_allclose(
        iou_distance_matrix(h, h), [[0, 0.5, 1], [0.5, 0, 1], [1, 1, 0]], atol=1e-12
    )


def test_surface_points_are_the_boundary_voxel_centres():
    g = np.zeros((16, 16, 16), bool)
    g[4:12, 4:12, 4:12] = True  # the cube [-0.25, 0.25]^3
    pts = surface_points(g)
    assert len(pts) == 8**3 - 6**3
    assert np.allclose(np.abs(pts).max(axis=1), 0.25 - 1 / 32)  # outermost voxel centres
    assert surface_points(np.zeros((8, 8, 8), bool)) is None


def test_scores_on_a_constructed_distance_matrix():
    # 3 samples, 2 references. Samples 0 and 1 are nearest reference 0; sample 2 nearest ref 1.
    d_sr = np.array([[0.1, 0.9], [0.2, 0.8], [0.7, 0.3]])
    d_ss = np.array([[0, 0.5, 0.6], [0.5, 0, 0.6], [0.6, 0.6, 0]])
    d_rr = np.array([[0, 0.05], [0.05, 0]])
    assert coverage(d_sr) == 1.0
    assert mmd(d_sr) == pytest.approx((0.1 + 0.3) / 2)
    # Samples: nearest are refs (0.1 < 0.5, 0.2 < 0.5, 0.3 < 0.6): all wrong. References:
    # ref 0's nearest is ref 1 (0.05 < 0.1): right; ref 1's nearest is ref 0 (0.05 < 0.3): right.
    assert one_nna(d_sr, d_ss, d_rr) == pytest.approx(2 / 5)


@pytest.mark.parametrize("distance", ["iou", "chamfer"])
def test_reference_checks(distance):
    refs = _boxes(40, seed=0)
    # Copies of one shape cover one reference: COV = 1 / |R|.
    copies = np.repeat(refs[:1], 40, axis=0)
    assert scores(copies, refs, distance).cov == pytest.approx(1 / 40)
    # The references themselves: full coverage, (near) zero MMD, a 1-NN classifier always wrong.
    # (Chamfer samples other surface points of the same shapes: a small MMD, not 0.)
    same = scores(refs, refs, distance)
    half = scores(_boxes(40, seed=1), refs, distance)
    assert same.cov == 1.0 and same.one_nna == 0.0 and same.mmd <= 0.2 * half.mmd
    # Two halves of one distribution: 1-NNA near 50 %, coverage far above a collapse's.
    assert 0.35 <= half.one_nna <= 0.7 and half.cov >= 0.4
    # Another distribution (balls against boxes): told apart.
    other = scores(_balls(40), refs, distance)
    assert other.one_nna >= 0.75 and other.one_nna > half.one_nna + 0.1
    assert other.mmd > half.mmd


def test_empty_samples_cover_nothing_and_are_counted():
    refs = _boxes(10)
    samples = np.concatenate([np.zeros((5, 16, 16, 16), bool), refs[:5]])
    out = scores(samples, refs, "chamfer")
    assert out.empty_samples == 5 and out.cov == pytest.approx(0.5)
    assert scores(samples, refs, "iou").empty_samples == 5
    with pytest.raises(ValueError, match="differ in size"):
        scores(samples[:, :8, :8, :8], refs, "iou")
    with pytest.raises(ValueError, match="unknown distance"):
        scores(samples, refs, "emd")


def test_bench_metrics3d_reports_both_ways_and_their_agreement():
    from click.testing import CliRunner

    from benchmark.cli import main

    args = ["bench", "metrics3d", "--samples", "6", "--references", "5", "--voxel-res", "8"]
    r = CliRunner().invoke(main, [*args, "--naive-pairs", "10"])
    assert r.exit_code == 0, r.output
    assert "Chamfer matrix: ours" in r.output and "1 - IoU matrix: ours" in r.output
    diff = float(r.output.rsplit("max |ours - naive| ", 1)[1].split()[0])
    assert diff < 1e-5  # the batched matrices equal the pairwise loop's values
