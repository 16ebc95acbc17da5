"""``igbench classifier ...`` and ``igbench fid``: thin commands over :mod:`benchmark.metrics.classifier`
and :mod:`benchmark.metrics.fid`.

Registered in :mod:`benchmark.cli` with::

    from benchmark.cli.evaluate import classifier, fid_cmd
    main.add_command(classifier)
    main.add_command(fid_cmd)
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import click

from benchmark.cli.common import PRESET, cluster_from_options, cluster_options
from benchmark.cli.common import library_errors as _library_errors
from benchmark.cli.common import one_line as _one_line


def _setup_logging() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("OpenGL").setLevel(logging.WARNING)


def _set_threads(threads: int | None) -> None:
    if threads:
        import torch

        torch.set_num_threads(threads)


# -- classifier -------------------------------------------------------------------------------------
@click.group("classifier")
def classifier() -> None:
    """The Inception classifier retrained on renders of 21 classes, whose features define FID.

    \b
    Examples:
      igbench classifier train --preset cpu               # ~95 % held-out, under an hour on 2 cores
      igbench classifier info out/classifier/cpu/classifier.pt
    """


@classifier.command("train")
@click.option(
    "--preset",
    "preset_name",
    type=PRESET,
    default="cpu",
    show_default=True,
    help="paper: 299^2 input, 128^2 renders; cpu: 96^2 input, 64^2 renders; smoke: seconds.",
)
@click.option(
    "--source",
    default=None,
    help="Shape source: procedural (default) | shapenet:PATH | meshdir:PATH",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Run folder (default: out/classifier/<preset>).",
)
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its last epoch.")
@click.option("--overwrite", is_flag=True, help="Start over, replacing an existing run.")
@click.option("--epochs", type=click.IntRange(1), default=None, help="Override the preset.")
@click.option(
    "--models-per-class", type=click.IntRange(2), default=None, help="Override the preset."
)
@click.option(
    "--views-per-model", type=click.IntRange(1), default=None, help="Override the preset."
)
@click.option(
    "--categories",
    default=None,
    help="Comma-separated subset of classes (default: the 21 largest ShapeNet classes).",
)
@click.option("--seed", type=click.IntRange(0), default=None, help="Override the preset (0).")
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=None,
    help="Render processes (default: cores).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=None,
    help="torch CPU threads (default: torch's; 1 is faster on a busy machine).",
)
@click.option("--device", default=None, help="cpu, cuda or cuda:N (default: cuda when available).")
@click.option("--dry-run", is_flag=True, help="Print the resolved config and exit.")
@click.option("--progress/--no-progress", default=True, show_default=True)
@cluster_options
def classifier_train(
    preset_name,
    source,
    out,
    resume,
    overwrite,
    epochs,
    models_per_class,
    views_per_model,
    categories,
    seed,
    workers,
    threads,
    device,
    dry_run,
    progress,
    **cluster_kw,
):
    """Render the 21 classes, train Inception v3 on them and report held-out accuracy.

    The split is by model: every view of a held-out model is held out. Writes
    OUT/classifier.pt (weights, config, class names, accuracy, fingerprint), OUT/confusion.png,
    OUT/config.json and OUT/log.jsonl. A killed run continues with --resume.

    \b
    Examples:
      igbench classifier train --preset cpu --threads 1
      igbench classifier train --preset paper --device cuda
      igbench classifier train --preset cpu --resume
      igbench classifier train --preset smoke --categories chair,sofa,bathtub --out /tmp/clf
      igbench classifier train --preset paper --executor slurm --gpus-per-job 1   # as a Slurm job
    """
    from benchmark.metrics.classifier import default_out_dir, preset
    from benchmark.metrics.classifier_train import train_classifier

    _setup_logging()
    try:
        config = preset(
            preset_name,
            source=source,
            epochs=epochs,
            models_per_class=models_per_class,
            views_per_model=views_per_model,
            categories=tuple(c.strip() for c in categories.split(",")) if categories else None,
            seed=seed,
            render_workers=workers,
        )
    except _library_errors() as exc:
        raise _one_line(exc) from exc
    out = Path(out or default_out_dir(preset_name))
    cluster = cluster_from_options(out / "jobs", **cluster_kw)
    click.echo(f"classifier config ({out}):\n{config.to_json()}")
    if dry_run:
        return
    if cluster is not None:
        from benchmark.cluster_work import train_classifier_as_job

        try:
            result = train_classifier_as_job(
                config, out, cluster, resume, overwrite, device, threads, click.echo
            )
        except _library_errors() as exc:
            raise _one_line(exc) from exc
        if result is None:
            click.echo("queued; rerun with --resume once it has finished to see its result")
        else:
            _echo_result(f"trained (job folder {cluster.folder})", result)
        return
    _set_threads(threads)
    bars: dict = {}
    lock = threading.Lock()  # classes render in parallel threads, each reporting progress

    def report(stage: str, done: int, total: int) -> None:
        if not progress:
            return
        from tqdm import tqdm

        with lock:
            bar = bars.get(stage)
            if bar is None:
                for other in bars.values():  # one stage at a time: finish the previous bar
                    other.close()
                unit = {"render": "model", "train": "step"}.get(stage, "it")
                bar = bars[stage] = tqdm(desc=stage, unit=unit, dynamic_ncols=True, mininterval=1)
            bar.total = total
            bar.update(done - bar.n)

    try:
        result = train_classifier(
            config, out, resume=resume, overwrite=overwrite, progress=report, device=device
        )
    except _library_errors() as exc:
        raise _one_line(exc) from exc
    finally:
        for bar in bars.values():
            bar.close()
    _echo_result(
        "already trained" if result.reused else f"trained in {result.seconds / 60:.1f} min", result
    )


def _echo_result(what: str, result) -> None:
    """What ``classifier train`` and ``classifier install`` print about the checkpoint they leave."""
    click.echo(
        f"{what}: held-out accuracy {100 * result.heldout_accuracy:.2f} % "
        f"({result.n_heldout} images of held-out models; {result.n_train} training images)"
    )
    click.echo(f"checkpoint: {result.checkpoint} (fingerprint {result.fingerprint})")
    click.echo(f"confusion matrix: {result.confusion_png}")


@classifier.command("install")
@click.option(
    "--preset",
    "preset_name",
    type=PRESET,
    default="cpu",
    show_default=True,
    help="The preset whose shipped classifier to install (igbench ships the cpu one).",
)
@click.option(
    "--source",
    default="procedural",
    show_default=True,
    help="Shape source; classifiers ship only for the embedded procedural one.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Run folder (default: out/classifier/<preset>, where `classifier train` writes).",
)
@click.option("--overwrite", is_flag=True, help="Replace a classifier run already in --out.")
def classifier_install(preset_name, source, out, overwrite):
    """Install the classifier that ships with igbench instead of training it (~1.5 h on 2 cores).

    The shipped file is the classifier.pt that `igbench classifier train --preset cpu --threads 1`
    wrote on the procedural source (95.24 % held-out). Training is deterministic on one machine
    but not across CPUs, so retraining elsewhere gives a close classifier with another fingerprint;
    the shipped one keeps FIDs comparable between machines. The tables, `igbench eval` and
    `igbench demo` install it on their own when it is missing.

    \b
    Examples:
      igbench classifier install                          # -> out/classifier/cpu/classifier.pt
      igbench classifier install --out /tmp/clf
    """
    from benchmark.metrics.classifier import SHIPPED, install_shipped

    try:
        result = install_shipped(preset_name, source, out, overwrite=overwrite)
    except _library_errors() as exc:
        raise _one_line(exc) from exc
    if result is None:
        have = ", ".join(SHIPPED) or "none"
        raise click.ClickException(
            f"no shipped classifier for preset {preset_name!r} and source {source!r} (igbench ships: "
            f"{have}, procedural source); train it with `igbench classifier train --preset "
            f"{preset_name} --source {source}`"
        )
    _echo_result("installed" if result.installed else "already installed", result)


@classifier.command("info")
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def classifier_info(checkpoint):
    """Summarise a classifier checkpoint: preset, classes, accuracy, fingerprint.

    \b
    Example:
      igbench classifier info out/classifier/cpu/classifier.pt
    """
    from benchmark.metrics.classifier import read_classifier_info

    try:
        info = read_classifier_info(checkpoint)
    except _library_errors() as exc:
        raise _one_line(exc) from exc
    cfg = info.get("config", {})
    click.echo(f"{checkpoint}: {info.get('kind')} after epoch {info.get('epoch')}")
    click.echo(
        f"  preset {cfg.get('preset')}, source {cfg.get('source')}, {len(info.get('class_names', []))} "
        f"classes, renders {cfg.get('image_res')}^2 -> input {cfg.get('input_res')}^2"
    )
    if "heldout_accuracy" in info:
        click.echo(
            f"  held-out accuracy {100 * info['heldout_accuracy']:.2f} % "
            f"({info.get('n_heldout')} images), fingerprint {info.get('fingerprint')}"
        )
    click.echo(f"  classes: {', '.join(info.get('class_names', []))}")


# -- fid --------------------------------------------------------------------------------------------
@click.command("fid")
@click.argument("real", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("fake", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--classifier",
    "classifier_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Classifier checkpoint (default: out/classifier/cpu/classifier.pt).",
)
@click.option(
    "--inception-weights",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Use torch-fidelity's ImageNet Inception from this local weights file instead.",
)
@click.option(
    "--max-images",
    type=click.IntRange(2),
    default=None,
    help="Use only the first N images of each file.",
)
@click.option("--kid/--no-kid", default=True, show_default=True, help="Also compute KID.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Real-statistics cache (default: $IGBENCH_CACHE or ~/.cache/igbench).",
)
@click.option("--no-cache", is_flag=True, help="Recompute the real statistics, store nothing.")
@click.option("--batch-size", type=click.IntRange(1), default=64, show_default=True)
@click.option("--device", default=None, help="cpu, cuda or cuda:N (default: cuda when available).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option(
    "--record",
    "record_run",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also append the FID/KID records to RECORD/metrics.jsonl.",
)
def fid_cmd(
    real,
    fake,
    classifier_path,
    inception_weights,
    max_images,
    kid,
    cache_dir,
    no_cache,
    batch_size,
    device,
    as_json,
    record_run,
):
    """FID (and KID) between the images of two dataset files, with our classifier's features.

    REAL's statistics are cached under a key of their content and the classifier, so comparing
    many files against one REAL computes its features once.

    \b
    Examples:
      igbench fid data/procedural/chair-one-per-model-opengl-r64-v32-s0.h5 samples.h5
      igbench fid REAL.h5 FAKE.h5 --classifier out/classifier/paper/classifier.pt
      igbench fid REAL.h5 FAKE.h5 --inception-weights weights-inception-2015-12-05-6726825d.pth
      igbench fid REAL.h5 FAKE.h5 --record runs/my-run          # append to metrics.jsonl
    """
    from benchmark.metrics.classifier import default_checkpoint
    from benchmark.metrics.fid import evaluate, feature_net, load_images

    _setup_logging()
    try:
        if inception_weights is None:
            classifier_path = classifier_path or default_checkpoint("cpu")
        net = feature_net(classifier_path, inception_weights=inception_weights, device=device)
        real_images = load_images(real, max_images)
        fake_images = load_images(fake, max_images)
        result = evaluate(
            real_images,
            fake_images,
            net,
            cache_dir=cache_dir,
            use_cache=not no_cache,
            kid=kid,
            batch_size=batch_size,
        )
        if record_run is not None:
            from benchmark.metrics.records import append_records, records_from_result
            from shapenet_render.dataset import ImageDataset, content_digest

            records = records_from_result(
                result,
                dataset=real,
                dataset_fingerprint=content_digest(real),
                source=ImageDataset(real).spec.source,
                protocol={"fake_dataset": str(fake), "fake_fingerprint": content_digest(fake)},
            )
            path = append_records(record_run, records)
    except _library_errors() as exc:
        raise _one_line(exc) from exc
    if as_json:
        click.echo(json.dumps(result.to_dict(), sort_keys=True))
    else:
        click.echo(result.format())
    if record_run is not None:
        click.echo(f"appended {len(records)} records to {path}")


# -- eval -------------------------------------------------------------------------------------------
@click.command("eval")
@click.argument("run", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--classifier",
    "classifier_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Classifier checkpoint (default: out/classifier/paper/classifier.pt for the paper "
    "preset, out/classifier/cpu/classifier.pt otherwise).",
)
@click.option(
    "--preset",
    "preset_name",
    type=PRESET,
    default=None,
    help="Eval preset: fixes the generated-sample count (paper 5000, cpu 1000, smoke 64). "
    "Default: the run's preset.",
)
@click.option(
    "-n",
    "count",
    type=click.IntRange(2),
    default=None,
    help="Generated samples (overrides --preset).",
)
@click.option(
    "--seed",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Fixes the samples' latents and views.",
)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option(
    "--workers",
    type=click.IntRange(0, 256),
    default=None,
    help="Render processes (default: the run's render_workers; 0 renders in this process).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Real-statistics and real-render cache (default: $IGBENCH_CACHE or ~/.cache/igbench).",
)
@click.option("--force", is_flag=True, help="Evaluate even if metrics.jsonl already holds it.")
@click.option("--kid/--no-kid", default=True, show_default=True, help="Also compute KID.")
@click.option(
    "--threshold",
    "threshold_rule",
    type=click.Choice(["both", "common", "own"]),
    default="both",
    show_default=True,
    help="Binarisation of 3D samples: common = 0.5 for every method; own = the method's own "
    "threshold, chosen without real images (its data-side image of [x > t] closest to what it "
    "was trained to produce from x); both = one evaluation each.",
)
@click.option(
    "--3d",
    "three_d",
    is_flag=True,
    help="Also score the generated volumes against the dataset's real shapes: COV, MMD and "
    "1-NNA with the Chamfer and 1 - IoU distances (3D methods).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option("--progress/--no-progress", default=True, show_default=True)
def eval_cmd(
    run,
    classifier_path,
    preset_name,
    count,
    seed,
    device,
    workers,
    cache_dir,
    force,
    kid,
    threshold_rule,
    three_d,
    as_json,
    progress,
):
    """FID (and KID) of a trained run's newest checkpoint, appended to RUN/metrics.jsonl.

    3D methods: samples binarised at 0.5 (the common threshold; the paper names none) and at the
    method's own threshold, chosen without real images (--threshold), and rendered by the
    off-the-shelf renderer at views of the dataset's range (LVP runs: over 360 degrees);
    2D-DCGAN: its own images. Real images: the dataset's stored images, or fresh OpenGL renders of
    its models for unlimited and LVP datasets and for the baselines' projection datasets.
    A run that already holds the same evaluation is not evaluated again (--force does).

    \b
    Examples:
      igbench eval runs/iggan-chair-one-per-model-opengl-r64-v32-s0-cpu
      igbench eval RUN --preset paper --classifier out/classifier/paper/classifier.pt
      igbench eval RUN -n 500 --seed 1 --workers 8 --json
      igbench eval RUN --force --no-kid --threshold common
      igbench eval RUN --3d                      # + COV / MMD / 1-NNA against the real shapes
    """
    from benchmark.metrics.evaluate import evaluate_run

    _setup_logging()
    bars: dict = {}

    def report(stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = bars.get(stage)
        if bar is None:
            for other in bars.values():  # one stage at a time: finish the previous bar
                other.close()
            desc = {"sample": "generated", "real": "real renders"}.get(stage, stage)
            bar = bars[stage] = tqdm(desc=desc, unit="img", dynamic_ncols=True, mininterval=1)
        bar.total = total
        bar.update(done - bar.n)

    rules = ["common", "own"] if threshold_rule == "both" else [threshold_rule]
    outcomes, outcomes_3d = [], []
    try:
        for rule in rules:
            outcomes.append(
                evaluate_run(
                    run,
                    classifier=classifier_path,
                    preset=preset_name,
                    n=count,
                    seed=seed,
                    device=device,
                    workers=workers,
                    cache_dir=cache_dir,
                    force=force,
                    kid=kid,
                    progress=report if progress else None,
                    threshold_rule=rule,
                )
            )
            for bar in bars.values():
                bar.close()
            bars.clear()
        if three_d:
            from benchmark.metrics.eval3d import evaluate_run_3d

            for rule in rules:
                outcomes_3d.append(
                    evaluate_run_3d(
                        run,
                        preset=preset_name,
                        n=count,
                        seed=seed,
                        device=device,
                        workers=workers,
                        threshold_rule=rule,
                        force=force,
                    )
                )
    except _library_errors() as exc:
        raise _one_line(exc) from exc
    finally:
        for bar in bars.values():
            bar.close()
    if as_json:
        for outcome in outcomes:
            click.echo(json.dumps(outcome.to_dict(), sort_keys=True))
        for records, skipped in outcomes_3d:
            payload = {"skipped": skipped, "metrics": {r.metric: r.value for r in records}}
            click.echo(json.dumps(payload | {"protocol": records[0].protocol}, sort_keys=True))
        return
    for outcome in outcomes:
        if outcome.skipped:
            click.echo(f"already evaluated (--force to redo): {outcome.format()}")
            click.echo(f"records: {outcome.records_path}")
        else:
            click.echo(outcome.format())
            click.echo(f"appended {len(outcome.records)} records to {outcome.records_path}")
    for records, skipped in outcomes_3d:
        from benchmark.metrics.eval3d import format_records

        prefix = "already evaluated (--force to redo): " if skipped else ""
        for line in format_records(records).splitlines():
            click.echo(f"{prefix}3D {line}")
