def test_small_site_builds(repo):
    repo.build()
    assert "<html lang=\"ru\">" in repo.read("index.html")
