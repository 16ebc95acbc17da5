"""Training the classifier of :mod:`benchmark.metrics.classifier`: render each class's data, split
it by model, train, evaluate on the held-out models, write the checkpoint (see that module's
docstring for the data, split, network, training and output)."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from benchmark.metrics.classifier import (
    CHECKPOINT_KIND,
    TRAIN_STATE_KIND,
    Classifier,
    ClassifierConfig,
    ClassifierError,
    Progress,
    TrainResult,
    _write_text,
    build_classifier,
    confusion_image,
    default_device,
    read_classifier_info,
    state_fingerprint,
)

log = logging.getLogger(__name__)


def class_spec(config: ClassifierConfig, category: str):
    """The :class:`~shapenet_render.dataset.DatasetSpec` of one class's training renders."""
    from shapenet_render.dataset import make_spec

    return make_spec(
        category,
        "one-per-model",
        "paper",
        source=config.source,
        resolution=config.image_res,
        voxel_res=config.voxel_res,
        max_models=config.models_per_class,
        views_per_model=config.views_per_model,
        elevation=tuple(config.elevation),
        seed=config.seed,
    )


def class_data_path(config: ClassifierConfig, category: str, data_dir: str | Path) -> Path:
    """``<data_dir>/<source>/<category>-m<M>-v<V>-r<res>-x<vox>-s<seed>.h5``."""
    src = config.source.split(":", 1)[0]
    m = "all" if config.models_per_class is None else config.models_per_class
    name = (
        f"{category}-m{m}-v{config.views_per_model}-r{config.image_res}-x{config.voxel_res}"
        f"-s{config.seed}.h5"
    )
    return Path(data_dir) / src / name


def render_class_data(
    config: ClassifierConfig, data_dir: str | Path, progress: Progress | None = None
) -> list[Path]:
    """Render (or reuse, or resume) one dataset file per class; returns their paths in class order.

    Classes render concurrently, one render process each, ``render_workers`` at a time (a pool per
    class would spend most of a small class's time starting up).
    """
    from shapenet_render.dataset import ImageDataset, render_dataset
    from shapenet_render.pool import default_workers

    paths = [class_data_path(config, c, data_dir) for c in config.categories]
    specs = [class_spec(config, c) for c in config.categories]
    todo = []
    for path, spec in zip(paths, specs, strict=True):
        if path.exists():
            if ImageDataset(path).spec.to_json() != spec.to_json():
                raise ClassifierError(
                    f"{path} holds renders made with other settings; remove it or use another --out"
                )
            continue
        todo.append((path, spec))
    if not todo:
        return paths
    # expected model counts until each class's plan reports its own
    totals = {str(p): config.models_per_class or 0 for p, _ in todo}
    dones = {str(p): 0 for p, _ in todo}

    def report(key: str, done: int, total: int) -> None:
        dones[key], totals[key] = done, total
        if progress:
            progress("render", sum(dones.values()), sum(totals.values()))

    def one(item) -> None:
        path, spec = item
        render_dataset(
            spec, out=path, workers=1, progress=lambda d, t, k=str(path): report(k, d, t)
        )

    workers = min(len(todo), config.render_workers or default_workers())
    with ThreadPoolExecutor(max_workers=workers) as ex:
        list(ex.map(one, todo))  # list(): re-raise the first failure here
    return paths


@dataclass
class ClassData:
    """All training and held-out images in memory."""

    images: torch.Tensor
    """``(n, 1, H, W)`` uint8."""
    labels: torch.Tensor
    """``(n,)`` int64 class indices."""
    model_keys: list[tuple[int, str]]
    """``(class index, model id)`` of each image."""
    heldout: torch.Tensor
    """``(n,)`` bool: the image's model is held out."""
    digests: dict[str, str]
    """Class name -> :func:`~shapenet_render.dataset.content_digest` of its file."""


def split_by_model(
    model_ids: Sequence[Sequence[str]], fraction: float, seed: int
) -> list[set[str]]:
    """Held-out model ids per class: a seeded ``fraction`` of each class's models (at least one,
    and at least one left for training)."""
    out = []
    for index, ids in enumerate(model_ids):
        ids = sorted(set(ids))
        if len(ids) < 2:
            raise ClassifierError(f"class {index} has {len(ids)} model(s); the split needs >= 2")
        n_hold = min(len(ids) - 1, max(1, round(fraction * len(ids))))
        perm = np.random.default_rng([seed, 0x5E1D, index]).permutation(len(ids))
        out.append({ids[i] for i in perm[:n_hold]})
    return out


def load_class_data(config: ClassifierConfig, paths: Sequence[Path]) -> ClassData:
    """Read every class file into memory and mark the held-out models."""
    import h5py

    from shapenet_render.dataset import content_digest

    images, labels, keys, per_class_ids = [], [], [], []
    for label, path in enumerate(paths):
        with h5py.File(path, "r") as f:
            img = f["images"][:]
            ids = [s.decode() if isinstance(s, bytes) else str(s) for s in f["model_ids"][:]]
            model_index = f["model_index"][:]
        images.append(img)
        labels.append(np.full(len(img), label, np.int64))
        keys.extend((label, ids[int(m)]) for m in model_index)
        per_class_ids.append(ids)
    held = split_by_model(per_class_ids, config.holdout_fraction, config.seed)
    heldout = torch.tensor([mid in held[c] for c, mid in keys], dtype=torch.bool)
    return ClassData(
        images=torch.from_numpy(np.concatenate(images)).unsqueeze(1),
        labels=torch.from_numpy(np.concatenate(labels)),
        model_keys=keys,
        heldout=heldout,
        digests={c: content_digest(p) for c, p in zip(config.categories, paths, strict=True)},
    )


@torch.no_grad()
def predict(
    model: Classifier, images: torch.Tensor, batch_size: int = 128, device=None
) -> torch.Tensor:
    """``(n,)`` predicted class indices for ``(n, 1|3, H, W)`` uint8 images (eval mode)."""
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = [
        model(images[i : i + batch_size].to(device)).argmax(1).cpu()
        for i in range(0, len(images), batch_size)
    ]
    model.train(was_training)
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.int64)


@torch.no_grad()
def recalibrate_batchnorm(
    model: Classifier, images: torch.Tensor, batch_size: int = 128, device=None
) -> None:
    """Replace the batch-norm running statistics by their average over ``images`` (uint8
    ``(n, 1|3, H, W)``, not augmented) under the current weights ("precise BN")."""
    device = device or next(model.parameters()).device
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches below
    was_training = model.training
    model.train()
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        if len(batch) >= 2:  # batch norm needs two values per channel on 1x1 maps
            model.trunk(model.prepare(batch.to(device)))
    for m, momentum in zip(bns, momenta, strict=True):
        m.momentum = momentum
    model.train(was_training)


def confusion_matrix(labels: torch.Tensor, predicted: torch.Tensor, k: int) -> torch.Tensor:
    """``(k, k)`` int64 counts: row = true class, column = predicted class."""
    return torch.bincount(labels * k + predicted, minlength=k * k).reshape(k, k)


def _epoch_lr(config: ClassifierConfig, step: int, total: int) -> float:
    return config.lr * 0.5 * (1.0 + math.cos(math.pi * min(step, total) / max(total, 1)))


def _save(path: Path, payload: dict[str, Any]) -> None:
    from iggan.checkpoint import save_checkpoint

    save_checkpoint(path, payload)


def train_classifier(
    config: ClassifierConfig,
    out_dir: str | Path,
    resume: bool = False,
    overwrite: bool = False,
    progress: Progress | None = None,
    device: str | torch.device | None = None,
) -> TrainResult:
    """Render the data, train, evaluate on the held-out models and write ``<out_dir>/classifier.pt``.

    ``resume`` continues a run from its last finished epoch (``train_state.pt``; its config must
    equal ``config``) or returns the finished checkpoint as is. Without ``resume`` an existing run
    in ``out_dir`` is refused unless ``overwrite``.
    """
    from iggan.checkpoint import load_checkpoint, seed_everything

    t0 = time.perf_counter()
    out = Path(out_dir)
    final, state_path = out / "classifier.pt", out / "train_state.pt"
    has_run = final.exists() or state_path.exists()
    if has_run and not (resume or overwrite):
        raise ClassifierError(
            f"{out} already holds a classifier run; pass --resume to continue it or --overwrite"
        )
    if overwrite and not resume:
        for p in (final, state_path):
            p.unlink(missing_ok=True)
    elif resume and final.exists():
        info = read_classifier_info(final)
        if not ClassifierConfig.from_dict(info["config"]).same_training(config):
            raise ClassifierError(f"{final} was trained with another config; use another --out")
        return TrainResult(
            final,
            out / "confusion.png",
            info["heldout_accuracy"],
            info["fingerprint"],
            info["epoch"],
            info["n_train"],
            info["n_heldout"],
            time.perf_counter() - t0,
            reused=True,
        )
    out.mkdir(parents=True, exist_ok=True)
    _write_text(out / "config.json", config.to_json())
    device = torch.device(device) if device else default_device()

    # -- data ---------------------------------------------------------------------------------------
    paths = render_class_data(config, out / "data", progress)
    data = load_class_data(config, paths)
    train_idx = torch.nonzero(~data.heldout).squeeze(1)
    held_idx = torch.nonzero(data.heldout).squeeze(1)
    log.info("classifier data: %d training / %d held-out images", len(train_idx), len(held_idx))

    # -- model and optimizer (fresh, or from the last finished epoch) -------------------------------
    seed_everything(config.seed)
    model = build_classifier(config).to(device)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    start_epoch, history = 0, []
    if resume and state_path.exists():
        state = load_checkpoint(state_path, kind=TRAIN_STATE_KIND)
        if not ClassifierConfig.from_dict(state["config"]).same_training(config):
            raise ClassifierError(
                f"{state_path} was started with another config; resume with the same preset and "
                "options, or pass --overwrite"
            )
        model.net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch, history = int(state["epoch"]), list(state["history"])
        log.info("resuming classifier training after epoch %d", start_epoch)

    # Incomplete last batches are dropped (a fresh permutation each epoch still uses every image):
    # a batch of one cannot be batch-normalised where the maps are 1x1.
    steps_per_epoch = max(1, len(train_idx) // config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    k = len(config.categories)

    # -- epochs -------------------------------------------------------------------------------------
    for epoch in range(start_epoch, config.epochs):
        te = time.perf_counter()
        # Every epoch's randomness (order, augmentation, dropout) comes from (seed, epoch), so a
        # resumed run takes exactly the steps an uninterrupted one would.
        gen = torch.Generator().manual_seed(config.seed * 1_000_003 + epoch)
        seed_everything(config.seed * 7919 + epoch)  # dropout draws from the global generator
        order = train_idx[torch.randperm(len(train_idx), generator=gen)]
        model.train()
        loss_sum, correct, seen = 0.0, 0, 0
        for s in range(steps_per_epoch):
            step = epoch * steps_per_epoch + s
            for group in optimizer.param_groups:
                group["lr"] = _epoch_lr(config, step, total_steps)
            idx = order[s * config.batch_size : (s + 1) * config.batch_size]
            x = model.prepare(
                data.images[idx].to(device),
                generator=gen,
                shift=config.aug_shift,
                scale=config.aug_scale,
                flip=config.aug_flip,
            )
            y = data.labels[idx].to(device)
            logits = model.head(model.trunk(x))
            loss = F.cross_entropy(logits, y, label_smoothing=config.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += float(loss.detach()) * len(idx)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(idx)
            if progress:
                progress("train", step + 1, total_steps)

        # -- held-out evaluation --------------------------------------------------------------------
        pred = predict(model, data.images[held_idx], config.eval_batch_size, device)
        held_labels = data.labels[held_idx]
        acc = float((pred == held_labels).float().mean()) if len(held_idx) else float("nan")
        entry = {
            "epoch": epoch + 1,
            "train_loss": loss_sum / max(seen, 1),
            "train_accuracy": correct / max(seen, 1),
            "heldout_accuracy": acc,
            "lr_end": _epoch_lr(config, (epoch + 1) * steps_per_epoch, total_steps),
            "seconds": time.perf_counter() - te,
        }
        history.append(entry)
        log.info("classifier epoch %d/%d: %s", epoch + 1, config.epochs, entry)
        _save(
            state_path,
            {
                "kind": TRAIN_STATE_KIND,
                "epoch": epoch + 1,
                "config": config.to_dict(),
                "class_names": list(config.categories),
                "model": model.net.state_dict(),
                "optimizer": optimizer.state_dict(),
                "history": history,
            },
        )
        # the log is rewritten from the saved history, so that it always matches the state
        _write_text(out / "log.jsonl", "".join(json.dumps(h) + "\n" for h in history))

    # -- final checkpoint and confusion matrix ------------------------------------------------------
    if config.bn_recalibration:
        gen = torch.Generator().manual_seed(config.seed * 1_000_003 + config.epochs)
        sample = train_idx[torch.randperm(len(train_idx), generator=gen)][: config.bn_recalibration]
        recalibrate_batchnorm(model, data.images[sample], config.eval_batch_size, device)
    pred = predict(model, data.images[held_idx], config.eval_batch_size, device)
    cm = confusion_matrix(data.labels[held_idx], pred, k)
    acc = float(cm.diag().sum()) / max(int(cm.sum()), 1)
    net_state = {n: t.detach().cpu() for n, t in model.net.state_dict().items()}
    fingerprint = state_fingerprint(net_state)
    _save(
        final,
        {
            "kind": CHECKPOINT_KIND,
            "epoch": config.epochs,
            "config": config.to_dict(),
            "class_names": list(config.categories),
            "model": net_state,
            "heldout_accuracy": acc,
            "confusion": cm,
            "fingerprint": fingerprint,
            "n_train": len(train_idx),
            "n_heldout": len(held_idx),
            "data_digests": data.digests,
            "history": history,
        },
    )
    state_path.unlink(missing_ok=True)
    from shapenet_render.preview import save_png

    png = out / "confusion.png"
    title = (
        f"held-out accuracy {100 * acc:.1f} % ({len(held_idx)} images of held-out models), "
        f"{config.preset} preset; rows: true class, columns: predicted"
    )
    save_png(confusion_image(cm.numpy(), config.categories, title), png)
    return TrainResult(
        final,
        png,
        acc,
        fingerprint,
        config.epochs,
        len(train_idx),
        len(held_idx),
        time.perf_counter() - t0,
    )
