#!/usr/bin/python3
"""fake_mysql_server.py - a hostile MySQL server for txetl's security tests (stdlib only).

Speaks just enough of the client/server protocol: handshake v10 with mysql_native_password
(any credentials accepted, no TLS offered), OK packets for every statement, and - the point -
a LOCAL INFILE request (0xFB + file name) in answer to statements:

  --mode load    answer LOAD DATA ... LOCAL statements with a request for --file
  --mode any     answer *every* COM_QUERY (txetl's CREATE DATABASE/USE/SET, an init-command)
                 with a request for --file

Whatever the client sends back after a request (the file's bytes, up to the empty packet that
ends them) is appended to OUT.bin, and one line per request to OUT.log:
  request <name> query <first 40 bytes of the statement> received <n bytes>
so the test can tell both that the server asked and how many bytes it got.

  fake_mysql_server.py --port-file F --out OUT [--mode load|any] [--file /etc/passwd]

Binds 127.0.0.1 on a free port, writes the port number to F once listening, serves
connections one after another until killed (or --idle seconds without a connection).
"""
import argparse
import os
import socket
import struct
import sys

CAPS = (0x00000001 | 0x00000004 | 0x00000008 | 0x00000080 | 0x00000200 | 0x00002000
        | 0x00008000 | 0x00010000 | 0x00020000 | 0x00080000)
# LONG_PASSWORD LONG_FLAG CONNECT_WITH_DB LOCAL_FILES PROTOCOL_41 TRANSACTIONS
# SECURE_CONNECTION MULTI_STATEMENTS MULTI_RESULTS PLUGIN_AUTH  (no SSL, no DEPRECATE_EOF)


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def read_packet(conn):
    head = recv_exact(conn, 4)
    length = head[0] | head[1] << 8 | head[2] << 16
    return head[3], recv_exact(conn, length)


def send_packet(conn, seq, payload):
    conn.sendall(struct.pack("<I", len(payload))[:3] + bytes([seq & 0xFF]) + payload)


def lenenc(n):
    return bytes([n]) if n < 251 else b"\xfc" + struct.pack("<H", n & 0xFFFF)


def ok_packet(affected=0, info=b""):
    return (b"\x00" + lenenc(affected) + b"\x00" + struct.pack("<HH", 0x0002, 0)
            + (lenenc(len(info)) + info if info else b""))


def handshake():
    salt = b"abcdefgh" + b"ijklmnopqrst"
    return (b"\x0a" + b"5.5.5-10.11.6-MariaDB-fake\x00" + struct.pack("<I", 42) + salt[:8]
            + b"\x00" + struct.pack("<H", CAPS & 0xFFFF) + bytes([45])
            + struct.pack("<H", 0x0002) + struct.pack("<H", CAPS >> 16) + bytes([21])
            + b"\x00" * 10 + salt[8:] + b"\x00" + b"mysql_native_password\x00")


def serve(conn, args, log, data):
    send_packet(conn, 0, handshake())
    seq, _ = read_packet(conn)  # HandshakeResponse41: any user/password will do
    send_packet(conn, seq + 1, ok_packet())
    while True:
        try:
            seq, pkt = read_packet(conn)
        except EOFError:
            return
        if not pkt or pkt[0] == 0x01:  # COM_QUIT
            return
        if pkt[0] != 0x03:  # COM_PING, COM_INIT_DB, ...: OK
            send_packet(conn, seq + 1, ok_packet())
            continue
        query = pkt[1:]
        is_load = query.lstrip().upper().startswith(b"LOAD DATA") and b"LOCAL" in query.upper()
        if args.mode == "any" or is_load:
            send_packet(conn, seq + 1, b"\xfb" + args.file.encode())
            got = b""
            while True:
                seq, part = read_packet(conn)
                if not part:
                    break
                got += part
            data.write(got)
            data.flush()
            log.write("request %s query %s received %d\n"
                      % (args.file, query[:40].decode("utf-8", "replace").replace("\n", " "),
                         len(got)))
            log.flush()
            n = got.count(b"\n") & 0xFFFF
            send_packet(conn, seq + 1,
                        ok_packet(n, b"Records: %d  Deleted: 0  Skipped: 0  Warnings: 0" % n))
        else:
            send_packet(conn, seq + 1, ok_packet())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--mode", choices=("load", "any"), default="load")
    ap.add_argument("--file", default="/etc/passwd")
    ap.add_argument("--idle", type=float, default=120)
    args = ap.parse_args()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(args.idle)
    with open(args.out + ".log", "w") as log, open(args.out + ".bin", "wb") as data:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.getsockname()[1])
        os.rename(tmp, args.port_file)
        while True:
            try:
                conn, _ = srv.accept()
            except socket.timeout:
                return 0
            with conn:
                conn.settimeout(args.idle)
                try:
                    serve(conn, args, log, data)
                except (EOFError, OSError) as e:
                    log.write("connection ended: %r\n" % (e,))
                    log.flush()


if __name__ == "__main__":
    sys.exit(main())
