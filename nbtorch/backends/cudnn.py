"""torch.backends.cudnn: no cuDNN here (the CUDA kernels are nbtorch's own); its flags are kept
so that scripts setting them (``benchmark = True``, ``deterministic = True``) run unchanged."""
enabled = True
benchmark = False
deterministic = False


def is_available():
    return False


def version():
    return None
