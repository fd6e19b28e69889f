from bench.profile import ROOT, hotspots, parse_pyspy_raw, short_name

RAW = f"""\
main (/x/lib/python3.11/site-packages/uvicorn/main.py:10);send (/x/lib/python3.11/site-packages/uvicorn/h.py:5) 30
main (/x/lib/python3.11/site-packages/uvicorn/main.py:10);answer ({ROOT}/mockserver/pipeline.py:99) 10
main (/x/lib/python3.11/site-packages/uvicorn/main.py:10);answer ({ROOT}/mockserver/pipeline.py:99);answer \
({ROOT}/mockserver/pipeline.py:120) 10
not a stack line
"""


def test_parse_pyspy_raw_shortens_file_names_and_drops_line_numbers() -> None:
    stacks = list(parse_pyspy_raw(RAW))
    assert stacks[0] == (("main (uvicorn/main.py)", "send (uvicorn/h.py)"), 30.0)
    assert stacks[1][0][-1] == "answer (mockserver/pipeline.py)"
    assert len(stacks) == 3


def test_hotspots_count_own_time_at_the_leaf_and_recursion_once() -> None:
    spots = hotspots(parse_pyspy_raw(RAW))
    assert spots.total == 50
    assert spots.self_time["send (uvicorn/h.py)"] == 30
    assert spots.self_time["answer (mockserver/pipeline.py)"] == 20
    assert spots.inclusive["answer (mockserver/pipeline.py)"] == 20  # not 30: once per stack
    assert spots.inclusive["main (uvicorn/main.py)"] == 50
    lines = list(spots.lines(top=1, per_request_us=100.0))
    assert lines[1].split() == ["60.0%", "60.0", "us/req", "send", "(uvicorn/h.py)"]


def test_short_name_keeps_stdlib_and_project_paths_readable() -> None:
    assert (
        short_name("run", "/root/.pyenv/versions/3.11.7/lib/python3.11/asyncio/runners.py")
        == "run (asyncio/runners.py)"
    )
    assert short_name("f", f"{ROOT}/bench/load.py") == "f (bench/load.py)"
