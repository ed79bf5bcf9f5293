import pytest

from sandbox.agents.actions import Decision, Move, Say
from sandbox.llm.request import Message
from sandbox.llm.structured import AnswerInvalid, parse_answer, repair_messages


def test_parses_bare_fenced_and_embedded_json():
    bare = '{"thought": "t", "action": "say", "text": "hi"}'
    assert parse_answer(bare, Decision).text == "hi"
    fenced = f"Here you go:\n```json\n{bare}\n```"
    assert parse_answer(fenced, Decision).action == "say"
    embedded = f"I will answer. {bare} Hope that helps."
    assert parse_answer(embedded, Decision).thought == "t"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("I'd rather go to the park.", "no JSON object"),
        ('{"thought": "t", "action": "fly"}', "action"),
        ('{"thought": "t", "action": "say", "text": ""}', "needs the words"),
        ('{"thought": "t", "action": "move"}', "needs the place"),
        ('{"thought": "t", "action": "say", "text": "hi"', "not valid JSON"),
    ],
)
def test_invalid_answers_say_why(text, fragment):
    with pytest.raises(AnswerInvalid, match=fragment):
        parse_answer(text, Decision)


def test_decision_becomes_typed_action():
    d = Decision(thought="x", action="say", target="Bo", text="hello")
    assert d.to_action() == Say(text="hello", to="Bo")
    assert Decision(thought="x", action="move", target=" park ").to_action() == Move(
        destination="park"
    )


def test_repair_messages_append_bad_answer_and_problem():
    msgs = (Message(role="user", content="q"),)
    out = repair_messages(msgs, "garbage", "not JSON")
    assert [m.role for m in out] == ["user", "assistant", "user"]
    assert out[1].content == "garbage"
    assert "not JSON" in out[2].content
