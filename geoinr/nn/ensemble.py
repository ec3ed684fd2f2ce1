"""Deep ensembles evaluated in one batched pass (torch.func.stack_module_state + vmap; SIREN and modulated SIREN
members by batched products)."""
from __future__ import annotations

import copy
import threading
import weakref

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from .conditioned import ModulatedSiren
from .siren import Siren

__all__ = ["Ensemble"]

_THREAD = threading.local()  # each thread's copies of the templates (see Ensemble._template)
# networks whose members run by batched matrix products (``forward_stacked``): their own classes only, since a
# subclass that changed ``forward`` would not be the function its ``forward_stacked`` computes
STACKED = (Siren, ModulatedSiren)


class _Apply(nn.Module):
    """Holds a template network so that :func:`torch.func.functional_call` can put one member's tensors into it
    for a whole function of the network (``fn(network, *args)``), not only its forward pass."""

    def __init__(self, network: nn.Module):
        super().__init__()
        self.network = network

    def forward(self, fn, *args):
        return fn(self.network, *args)


class Ensemble(nn.Module):
    r"""``n`` independently initialized copies of one network, trained and evaluated together.

    The members' parameters are stacked along a leading axis and the network is
    applied to all of them at once with :func:`torch.func.vmap` over
    :func:`torch.func.functional_call`: one forward and one backward pass per
    step for the whole ensemble instead of ``n`` fits. Members share the inputs
    and the mini-batches and differ by their initialization (Lakshminarayanan et
    al., "Simple and Scalable Predictive Uncertainty Estimation using Deep
    Ensembles", NeurIPS 2017). Output shape ``(n_members, batch, out)``.

    SIREN and modulated SIREN members (:data:`STACKED`) run by batched matrix products instead
    (their ``forward_stacked``, the same function): under ``vmap`` a bare bfloat16 step of three
    256-wide SIRENs took 1.25-1.5 times as long, and a whole training step 1.07-1.18 times (the
    modulated SIREN's, in float32, 1.07-1.08 times; ``benchmarks/throughput.py``);
    ``use_stacked = False`` goes back to ``vmap``.

    Examples
    --------
    >>> from geoinr.nn import Siren
    >>> ens = Ensemble([Siren(3, 1, width=8, depth=2) for _ in range(4)])
    >>> ens(torch.zeros(5, 3)).shape
    torch.Size([4, 5, 1])
    """

    #: STACKED members by batched matrix products (their forward_stacked); False: torch.func.vmap as for any network.
    #: A class attribute, so that ensembles pickled before it existed run too
    use_stacked = True

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

    def apply_member(self, i: int, fn, *args):
        """``fn(network, *args)`` with ``network`` member ``i`` as a module of its own (the template with the
        member's weights and buffers in it for the call; gradients reach the stacked weights).

        For computations that read a network's layers rather than call it, such as the physics
        residual's derivative jets (:mod:`geoinr.physics.jets`), one member at a time.

        Examples
        --------
        >>> from geoinr.nn import Siren
        >>> ens = Ensemble([Siren(3, 1, width=8, depth=2) for _ in range(3)])
        >>> x = torch.zeros(5, 3)
        >>> bool(torch.allclose(ens.apply_member(1, lambda net, inp: net(inp), x), ens(x)[1]))
        True
        """
        if not 0 <= int(i) < self.n_members:
            raise IndexError(f"member {i} of an ensemble of {self.n_members}")
        tensors = {f"network.{k}": p[int(i)] for k, p in zip(self.param_names, self.stacked)}
        tensors.update({f"network.{k}": getattr(self, f"stacked_buffer_{j}")[int(i)]
                        for j, k in enumerate(self.buffer_names)})
        return functional_call(_Apply(self._template()), tensors, (fn, *args))

    def unstack(self) -> list:
        """The members as networks of their own (copies of the template holding each member's weights).

        Examples
        --------
        >>> from geoinr.nn import Siren
        >>> ens = Ensemble([Siren(3, 1, width=8, depth=2) for _ in range(2)])
        >>> x = torch.zeros(5, 3)
        >>> nets = ens.unstack()
        >>> len(nets), bool(torch.allclose(nets[1](x), ens(x)[1]))
        (2, True)
        """
        tensors = dict(zip(self.param_names, self.stacked))
        tensors.update({k: getattr(self, f"stacked_buffer_{j}") for j, k in enumerate(self.buffer_names)})
        nets = []
        for i in range(self.n_members):
            net = copy.deepcopy(self._base).to_empty(device=self.stacked[0].device)
            net.load_state_dict({k: v[i].detach().clone() for k, v in tensors.items()})
            nets.append(net)
        return nets

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        params = dict(zip(self.param_names, self.stacked))
        buffers = {k: getattr(self, f"stacked_buffer_{i}") for i, k in enumerate(self.buffer_names)}
        if self.use_stacked and type(self._base) in STACKED and x.dim() == 2:
            # batched products, faster than vmap (forward_stacked); TUNER's first layer holds its weight as a buffer
            return self._base.forward_stacked({**params, **buffers}, x)
        base = self._template()

        def one(p, b, inp):
            return functional_call(base, (p, b), (inp,))

        return vmap(one, in_dims=(0, 0, None))(params, buffers, x)
