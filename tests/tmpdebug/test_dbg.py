import sqlalchemy as sa
from tests.fixtures.due_process import blocked_event, jobs


def test_dbg(client, keys, runtime):
    blocked_event(client, keys.admin, "x-1", "fraud-1")
    print(jobs(client).tick())
    with runtime.engine.connect() as c:
        print(c.execute(sa.text("select seq, topic, handled_at, error, payload from outbox")).all())
        print(c.execute(sa.text("select * from bus_deliveries")).all())
        print(c.execute(sa.text("select id, state from cases")).all())
    assert False
