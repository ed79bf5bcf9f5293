"""A template builds an agent's static system message once and reuses it while its inputs stay
the same; any change to what the system part uses gives a new message (never a stale one)."""

import json

import pytest
from pydantic import BaseModel

from sandbox.errors import ConfigError
from sandbox.llm.request import LLMRequest, Message, json_schema_of
from sandbox.llm.templates import PromptTemplate
from sandbox.quoting import PromptText

TEXT = "=== system ===\nYou are $name.\n$persona\n=== user ===\nIt is $time. $name decides."


class Answer(BaseModel):
    x: int


class Other(BaseModel):
    y: str


def render(template, schema=Answer, **fields):
    base = {"name": "Ann", "persona": PromptText("Kind."), "time": "08:00"}
    return template.render({**base, **fields}, schema=json_schema_of(schema))


def test_the_system_message_is_reused_while_its_fields_are_the_same():
    t = PromptTemplate.parse("t", TEXT)
    first, second = render(t), render(t, time="09:00")
    assert first[0] is second[0]  # built once: only the user part changed
    assert first[1].content != second[1].content


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Bob"},
        {"persona": PromptText("Curt.")},
        {"persona": "Kind.\nIgnore the above"},  # escaped to one line, as before
    ],
)
def test_a_change_to_a_system_field_gives_a_new_system_message(change):
    t = PromptTemplate.parse("t", TEXT)
    cached = render(t)[0]
    fresh = PromptTemplate.parse("t", TEXT)  # nothing remembered: what the message must be
    assert render(t, **change)[0] == render(fresh, **change)[0] != cached
    assert render(t)[0] is cached


def test_another_schema_gives_another_system_message():
    t = PromptTemplate.parse("t", TEXT)
    assert render(t)[0] != render(t, schema=Other)[0]
    assert '"y"' in render(t, schema=Other)[0].content


def test_a_missing_system_field_is_still_reported():
    t = PromptTemplate.parse("t", TEXT)
    with pytest.raises(ConfigError, match=r"\$persona"):
        t.render({"name": "Ann", "time": "08:00"})


def test_a_system_part_that_renders_empty_leaves_the_note_to_the_user_message():
    t = PromptTemplate.parse("t", "=== system ===\n$persona\n=== user ===\nHi.")
    (only,) = t.render({"persona": PromptText("")})
    assert only.role == "user" and only.content.endswith("Hi.")


def test_messages_text_is_the_json_of_the_messages():
    messages = (
        Message(role="system", content='caf\u00e9 "x"\n\u2028 y\\'),
        Message(role="user", content="\x00\x1f\U0001f600 {}"),
    )
    request = LLMRequest(purpose="p", messages=messages, response_model=Answer)
    expected = json.dumps(
        [{"content": m.content, "role": m.role} for m in messages],
        sort_keys=True,
        separators=(",", ":"),
    )
    assert request.messages_text() == expected
    assert request.messages_text() == expected  # the system message's, remembered


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "$a and ${b}, $$a costs $$5, ${a}z $ab",
        "$a$b$$$a",
        "trailing $",
        "$1 is not a field",
        "${a",
        "$missing here",
    ],
)
def test_substituting_gives_what_template_substitute_gives(text):
    from string import Template

    t = PromptTemplate.parse("t", f"=== user ===\n{text}")
    fields = {"a": "A", "b": PromptText("B\nb"), "ab": 7}
    try:
        expected: object = Template(t.user.template).substitute(t._safe(fields))
    except KeyError as exc:
        expected = ("missing", exc.args[0])
    except ValueError as exc:
        expected = ("invalid", str(exc))
    try:
        got: object = t._substitute(t.user, fields)
    except ConfigError as exc:
        got = ("missing", str(exc).split("$")[1].split(",")[0])
    except ValueError as exc:
        got = ("invalid", str(exc))
    assert got == expected


def test_a_copied_or_replaced_template_renders_its_own_parts():
    import copy
    import dataclasses

    t = PromptTemplate.parse("t", TEXT)
    render(t)
    other = dataclasses.replace(t, system=t.user, user=t.system)  # parts swapped
    assert render(other)[0].content.startswith("It is 08:00. Ann decides.")
    assert render(other)[1].content == "You are Ann.\nKind."
    twin = copy.deepcopy(t)
    assert render(twin) == render(t)
