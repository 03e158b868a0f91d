"""CURVE keys: a client with keys calls and subscribes; a read-only key is
refused calls; a client without keys gets nowhere."""
import os

import pytest

import oneliner
from conftest import program


def keygen(tmp_path, name):
    import subprocess
    subprocess.run([program("OL_CLI"), "keygen", name], cwd=tmp_path, check=True,
                   stdout=subprocess.DEVNULL, timeout=30)
    return str(tmp_path / f"{name}.key"), str(tmp_path / f"{name}.pub")


def test_curve_keys(tmp_path, start):
    server_key, server_pub = keygen(tmp_path, "lab")
    alice_key, alice_pub = keygen(tmp_path, "alice")
    bob_key, bob_pub = keygen(tmp_path, "bob")
    _, eve_pub = keygen(tmp_path, "eve")
    auth = tmp_path / "authorized"
    auth.write_text(f"{open(alice_pub).read().strip()} control alice\n"
                    f"{open(bob_pub).read().strip()} read-only bob\n")
    s = start([program("OL_DEMO_SERVER"), "--speed", "0", "-r", "tcp://127.0.0.1:*",
               "-s", "tcp://127.0.0.1:*", "--secret-key", server_key,
               "--authorized-keys", str(auth)])
    with s.client(secret_key=alice_key, server_key=server_pub, timeout=10) as c:
        assert c.call("stage", "move_to", 1, 5.0) == 5.0
        c.configure_stream("sensor/sine", "cache")
        assert isinstance(c.get_stream("sensor/sine", timeout=10).value, float)
    with s.client(secret_key=bob_key, server_key=server_pub, timeout=10) as c:
        assert c.version()["protocol"] == 1
        with pytest.raises(oneliner.PermissionDenied) as e:
            c.call("stage", "move_to", 1, 6.0)
        assert e.value.code == 14 and 'read-only key "bob"' in e.value.message
    with s.client(timeout=0.5) as c:               # no keys: the handshake never completes
        with pytest.raises(oneliner.Timeout):
            c.version()
    with pytest.raises(FileNotFoundError):
        oneliner.Client(s.rpc, s.stream, secret_key=eve_pub + ".missing", server_key=server_pub)
    with pytest.raises(ValueError):
        oneliner.Client(s.rpc, s.stream, secret_key=alice_key)   # no server key
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    with pytest.raises(ValueError):
        oneliner.read_key_file(str(bad))
    assert os.path.exists(alice_key)


def test_role_ceiling(demo):
    with demo.client(role="read-only") as c:
        assert c.version()["protocol"] == 1
        with pytest.raises(oneliner.PermissionDenied) as e:
            c.call("stage", "move_to", 1, 6.0)
        assert e.value.code == 14
    with demo.client(role="control") as c:
        assert c.call("stage", "move_to", 1, 6.0) == 6.0
    with pytest.raises(ValueError):
        oneliner.Client(demo.rpc, demo.stream, role="admin")
