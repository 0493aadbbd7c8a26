"""The status machine as a Mermaid state diagram, for analysts and reviewers."""

from __future__ import annotations

from engine.definitions.model import WorkflowSpec


def _node(name: str) -> str:
    return name.replace("-", "_")


def _label(text: str) -> str:
    return text.replace('"', "'").replace(":", "：").replace(";", ",").replace("#", "")


def to_mermaid(workflow: WorkflowSpec, language: str = "th") -> str:
    """A ``stateDiagram-v2`` with state titles, actions, roles, quorums and SLA pauses."""
    lines = ["stateDiagram-v2", "    direction LR"]
    for name, state in workflow.states.items():
        lines.append(f'    state "{_label(state.title.get(language))}" as {_node(name)}')
    lines.append(f"    [*] --> {_node(workflow.initial)}")
    for transition in workflow.transitions:
        who = ", ".join(transition.roles)
        if transition.quorum is not None and transition.quorum.mode != "any":
            needed = transition.quorum.needed(transition.roles)
            who = f"{'all' if transition.quorum.mode == 'all' else needed} of {who}"
        label = _label(f"{transition.title.get(language)} [{who}]")
        for source in transition.from_:
            lines.append(f"    {_node(source)} --> {_node(transition.to)}: {label}")
    for name, state in workflow.states.items():
        if state.final:
            lines.append(f"    {_node(name)} --> [*]")
        if state.pauses_sla:
            note = "หยุดนับเวลา SLA" if language == "th" else "SLA clock paused"
            lines.append(f"    note right of {_node(name)}: {note}")
    return "\n".join(lines)
