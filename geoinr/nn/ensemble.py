"""Deep ensembles evaluated in one batched pass (torch.func.stack_module_state + vmap)."""
from __future__ import annotations

import copy
import threading
import weakref

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

__all__ = ["Ensemble"]

_THREAD = threading.local()  # each thread's copies of the templates (see Ensemble._template)


class Ensemble(nn.Module):
    r"""``n`` independently initialized copies of one network, trained and evaluated together.

    The members' parameters are stacked along a leading axis and the network is
    applied to all of them at once with :func:`torch.func.vmap` over
    :func:`torch.func.functional_call`: one forward and one backward pass per
    step for the whole ensemble instead of ``n`` fits. Members share the inputs
    and the mini-batches and differ by their initialization (Lakshminarayanan et
    al., "Simple and Scalable Predictive Uncertainty Estimation using Deep
    Ensembles", NeurIPS 2017). Output shape ``(n_members, batch, out)``.

    Examples
    --------
    >>> from geoinr.nn import Siren
    >>> ens = Ensemble([Siren(3, 1, width=8, depth=2) for _ in range(4)])
    >>> ens(torch.zeros(5, 3)).shape
    torch.Size([4, 5, 1])
    """

    def __init__(self, members):
        super().__init__()
        members = list(members)
        if len(members) < 2:
            raise ValueError(f"an ensemble needs at least 2 members, got {len(members)}")
        params, buffers = stack_module_state(members)
        self.n_members = len(members)
        self.param_names = list(params)
        self.buffer_names = list(buffers)
        self.stacked = nn.ParameterList([nn.Parameter(params[k].detach().clone()) for k in self.param_names])
        for i, k in enumerate(self.buffer_names):
            self.register_buffer(f"stacked_buffer_{i}", buffers[k].clone())
        base = copy.deepcopy(members[0]).to("meta")
        object.__setattr__(self, "_base", base)  # a template, not a submodule: no weights of its own
        # (stacked index, limit) of every bounded weight (TUNER's |w0 W| <= c): the template is no submodule, so
        # the training loop finds the bound here (constrain_) rather than in the members
        self._bounds = [(self.param_names.index(f"{name}.linear.weight"), m.weight_limit)
                        for name, m in members[0].named_modules() if getattr(m, "weight_limit", None) is not None]

    @property
    def constrains_weights(self) -> bool:
        """Whether :meth:`constrain_` changes anything: the members have bounded weights (TUNER)."""
        return bool(self._bounds)

    @torch.no_grad()
    def constrain_(self, lr: float | None = None) -> None:
        """Clamp every member's bounded weights to their bound after an optimizer step, as each member's own
        ``constrain_`` would (``l1`` shrinkage is not applied to members trained together: it is refused)."""
        for i, limit in self._bounds:
            self.stacked[i].clamp_(-limit, limit)

    def _template(self) -> nn.Module:
        """The template this thread calls: :func:`functional_call` puts the members' tensors into it and takes them
        out again, so threads running the ensemble at once (dask's threaded scheduler) each need their own copy."""
        if threading.current_thread() is threading.main_thread():
            return self._base
        copies = _THREAD.__dict__.setdefault("copies", weakref.WeakKeyDictionary())
        if self not in copies:
            copies[self] = copy.deepcopy(self._base)
        return copies[self]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        params = dict(zip(self.param_names, self.stacked))
        buffers = {k: getattr(self, f"stacked_buffer_{i}") for i, k in enumerate(self.buffer_names)}
        base = self._template()

        def one(p, b, inp):
            return functional_call(base, (p, b), (inp,))

        return vmap(one, in_dims=(0, 0, None))(params, buffers, x)
