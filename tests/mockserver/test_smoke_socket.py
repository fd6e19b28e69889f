import httpx

from mockserver import create_app
from mockserver.app import ServerConfig
from tests.servers import serve


def test_real_socket_update_round_trip() -> None:
    app = create_app(config=ServerConfig(log_requests=False, tokens=frozenset({"T"})))
    with serve(app) as base, httpx.Client(base_url=base, timeout=5) as client:
        response = client.patch(
            "/datagrid/v1/conversations/conv_1",
            json={"name": "Q3 review", "agent_ids": ["a1"]},
            headers={"Authorization": "Bearer T"},
        )
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"], body["agent_ids"]) == ("conv_1", "Q3 review", ["a1"])
    assert "a1" in body["participated_agent_ids"]
