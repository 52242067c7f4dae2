"""Issue 19.1: every service's OpenAPI document is valid OpenAPI 3.1 (openapi-spec-validator), and /docs shows it
in a real browser with no internet: the page lists every operation, never "Unable to render this definition"."""
from urllib.parse import urlparse

import pytest
from openapi_spec_validator import validate

import fuzzkit
from wangge_common.testing import browser_page, live_server


@pytest.fixture(params=fuzzkit.SERVICES)
def service(request, tmp_path):
    harness = fuzzkit.harness(request.param, tmp_path)
    yield harness
    harness.close()


def operations(document) -> int:
    return sum(1 for item in document["paths"].values() for method in item
               if method in ("get", "put", "post", "patch", "delete"))


def test_the_openapi_document_is_valid_and_documents_errors_as_problem_json(service):
    document = service.client.get("/openapi.json").json
    validate(document)  # raises with the first violation (e.g. a response without a description)
    assert document["openapi"].startswith("3.1")
    default = document["components"]["responses"]["DEFAULT_ERROR"]
    assert list(default["content"]) == ["application/problem+json"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert "default" in operation["responses"], f"{method} {path} documents no error response"


def test_docs_lists_every_operation_in_chromium_with_no_internet(service):
    document = service.client.get("/openapi.json").json
    outside = []
    with live_server(service.app) as url, browser_page() as page:
        def only_local(route):
            if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
                return route.continue_()
            outside.append(route.request.url)
            return route.abort()

        page.route("**/*", only_local)
        page.goto(f"{url}/docs")
        page.wait_for_selector(".opblock", timeout=30_000)
        shown = page.locator(".opblock").count()
        text = page.inner_text("body")
    assert "Unable to render" not in text
    assert shown == operations(document), (shown, operations(document))
    assert outside == [], f"/docs reached outside this machine: {outside}"
