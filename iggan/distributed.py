"""Devices and processes: which device a process trains on, and its place in a ``torchrun`` job.

Under ``torchrun`` (``WORLD_SIZE > 1``) each process trains on its own batches and averages
gradients with ``all_reduce`` after every backward pass, which is what ``DistributedDataParallel``
does (without its bucketing); explicit averaging keeps the GAN phases' freezing of D and R simple.
NCCL on CUDA, gloo on the CPU.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .config import ConfigError

if TYPE_CHECKING:
    from .methods import Method


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """``auto`` -> cuda when available (the process's local GPU under torchrun), else cpu."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        name = f"cuda:{local_rank}"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device: {name} requested but CUDA is not available")
    return torch.device(name)


class Distributed:
    """This process's place in a ``torchrun`` job (a single process when WORLD_SIZE is unset)."""

    def __init__(self, device_name: str):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.device = resolve_device(device_name, self.local_rank)
        self.owns_group = False
        if self.world > 1:
            import torch.distributed as dist

            if not dist.is_initialized():
                backend = "nccl" if self.device.type == "cuda" else "gloo"
                if self.device.type == "cuda":
                    torch.cuda.set_device(self.device)
                dist.init_process_group(backend)
                self.owns_group = True

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def attach(self, method: Method) -> None:
        """Start every process from process 0's weights and average gradients and losses."""
        if not self.enabled:
            return
        import torch.distributed as dist

        for module in method.modules.values():
            for t in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(t.data, src=0)
        method.sync_grads = self._average_grads
        method.all_mean = self._mean

    def _average_grads(self, module: nn.Module) -> None:
        """Average gradients over processes; take process 0's buffers (BatchNorm running
        statistics), as DistributedDataParallel's ``broadcast_buffers`` does."""
        import torch.distributed as dist

        for buf in module.buffers():
            dist.broadcast(buf, src=0)

        grads = [p.grad for p in module.parameters() if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= self.world
        offset = 0
        for g in grads:
            g.copy_(flat[offset : offset + g.numel()].view_as(g))
            offset += g.numel()

    def _mean(self, value: torch.Tensor) -> torch.Tensor:
        import torch.distributed as dist

        value = value.detach().float().clone()
        dist.all_reduce(value)
        return value / self.world

    def any(self, flag: bool) -> bool:
        """True on every process if ``flag`` is true on any (e.g. a stop signal)."""
        if not self.enabled:
            return flag
        import torch.distributed as dist

        t = torch.tensor([1.0 if flag else 0.0], device=self.device)
        dist.all_reduce(t)
        return bool(t.item() > 0)

    def gather(self, obj: Any) -> list[Any]:
        """Every process's ``obj``, in rank order."""
        if not self.enabled:
            return [obj]
        import torch.distributed as dist

        out: list[Any] = [None] * self.world
        dist.all_gather_object(out, obj)
        return out

    def barrier(self) -> None:
        if self.enabled:
            import torch.distributed as dist

            dist.barrier()

    def close(self) -> None:
        if self.owns_group:
            import torch.distributed as dist

            dist.destroy_process_group()
