"""The running stack for end-to-end tests (needs a trained model; `make test` trains first)."""

import pytest

from tests.e2e.stack import MODEL, Stack


@pytest.fixture
def stack(tmp_path):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does) before the e2e tests")
    stack = Stack(tmp_path)
    yield stack
    if stack.proc is not None and stack.proc.poll() is None:
        stack.stop()
