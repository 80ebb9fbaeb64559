"""Offline chart of a trust trajectory with quantile bands (matplotlib, written to SVG or PNG)."""

from __future__ import annotations

from pathlib import Path

from .simulate import SimulationResult

__all__ = ["write_chart"]


def write_chart(result: SimulationResult, path: Path, title: str | None = None) -> Path:
    """Draw each pair's median belief with 25–75% and 5–95% bands and the goal threshold; format from the suffix."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    suffix = path.suffix.lower()
    if suffix not in (".svg", ".png"):
        from detente.errors import InputError

        raise InputError("the chart file must end in .svg or .png", path=path)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, bands in result.trajectory.items():
        steps = [b.step for b in bands]
        q = list(zip(*(b.quantiles for b in bands), strict=True))
        (line,) = ax.plot(steps, q[2], marker="o", label=f"{label} (median)")
        ax.fill_between(steps, q[0], q[4], color=line.get_color(), alpha=0.12)
        ax.fill_between(steps, q[1], q[3], color=line.get_color(), alpha=0.25)
    ax.axhline(result.goal.threshold, color="grey", linestyle="--", label=f"goal {result.goal.threshold:.2f}")
    ax.set_xlabel("step")
    ax.set_ylabel("belief that the other side is trustworthy")
    ax.set_ylim(0.0, 1.0)
    ax.set_title(title or f"Trust trajectory (P(goal) = {result.p_goal:.2f}, {result.worlds} simulated worlds)")
    ax.legend(fontsize="small", loc="upper left")
    fig.tight_layout()
    metadata = {"Date": None} if suffix == ".svg" else {}
    fig.savefig(path, format=suffix[1:], metadata=metadata)
    plt.close(fig)
    return path
