"""The README's Python snippets run as written, and its Quickstart commands are
the ones CI runs, so the front page cannot drift from the code."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_python_snippets_run():
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert len(blocks) >= 2
    namespace = {}
    for block in blocks:  # later blocks may use names from earlier ones
        exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["accuracy"] >= 0.95


def test_quickstart_test_command_is_what_ci_runs():
    quickstart = re.search(r"```bash\n(.*?)```", README, flags=re.S).group(1)
    lines = [line.split("#")[0].strip() for line in quickstart.splitlines()]
    ci = (ROOT / ".ci" / "run").read_text()
    install, test = lines[1].split(" && ")
    assert install.replace('"', "") in ci.replace('"', "")
    assert test in ci
