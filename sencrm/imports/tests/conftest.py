import pytest


@pytest.fixture
def data_dir(settings, tmp_path):
    """DATA_DIR of the test's own (uploaded import files are stored there); returns a scratch folder."""
    settings.DATA_DIR = tmp_path / "data"
    return tmp_path
