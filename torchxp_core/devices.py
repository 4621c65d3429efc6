"""Which devices exist right now: cpu always, then each CUDA GPU and Apple's MPS if present."""

import torch


def available_devices() -> list[str]:
    """Device names torch can use on this machine now, cpu first."""
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices


def describe(device: str) -> str:
    """A human label for a device name, e.g. 'cuda:0 (NVIDIA H100)'."""
    if device.startswith("cuda"):
        return f"{device} ({torch.cuda.get_device_name(torch.device(device))})"
    if device == "mps":
        return "mps (Apple GPU)"
    return "cpu"


def synchronize(device: str) -> None:
    """Wait for queued kernels, so timings on a GPU measure work and not just launches."""
    if device.startswith("cuda"):
        torch.cuda.synchronize(torch.device(device))
    elif device == "mps":
        torch.mps.synchronize()
