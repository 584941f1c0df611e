#!/usr/bin/env python3
"""s3proxy.py UPSTREAM LOG [--want-md5] — an HTTP proxy in front of an S3 server, for tests.

Listens on a free port of 127.0.0.1 and prints it on stdout; passes every request to
UPSTREAM (HOST:PORT) unchanged, on one upstream connection per client connection (the
Host header is kept, so SigV4 signatures stay valid), and writes a line per request to
LOG: "METHOD PATH lock=0|1 md5=0|1 checksum=0|1 range=0|1 forwarded|refused" (lock: it
carries x-amz-object-lock-mode; md5: Content-MD5; checksum: an x-amz-checksum-* header;
range: a Range header, a read of part of an object).

--want-md5: answers a PUT with Object Lock headers but no Content-MD5 itself, with AWS's
400 InvalidRequest, as an S3 server that knows no other checksum for locked objects does.
Requests are not pipelined by the clients this serves (curl waits for each answer), so
the answer to one request is always complete before the next request is read."""
import socket
import sys
import threading

REFUSAL = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidRequest</Code>'
           b'<Message>Content-MD5 HTTP header is required for Put Object requests with '
           b'Object Lock parameters</Message></Error>')


def read_request(sock, buf):
    """(head, body, rest) of the next request in sock after buf; head None at the end"""
    while b'\r\n\r\n' not in buf:
        data = sock.recv(65536)
        if not data:
            return None, b'', b''
        buf += data
    end = buf.index(b'\r\n\r\n') + 4
    head, buf = buf[:end], buf[end:]
    fields = {}
    for line in head.decode('latin-1').split('\r\n')[1:]:
        if ':' in line:
            name, value = line.split(':', 1)
            fields[name.strip().lower()] = value.strip()
    length = int(fields.get('content-length', '0'))
    while len(buf) < length:
        data = sock.recv(65536)
        if not data:
            return None, b'', b''
        buf += data
    return head, buf[:length], buf[length:], fields


def serve(client, upstream, log, log_lock, want_md5):
    up = socket.create_connection(upstream)
    send_lock = threading.Lock()

    def answers():
        try:
            while True:
                data = up.recv(65536)
                if not data:
                    break
                with send_lock:
                    client.sendall(data)
        except OSError:
            pass
        try:
            client.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    threading.Thread(target=answers, daemon=True).start()
    buf = b''
    try:
        while True:
            got = read_request(client, buf)
            if got[0] is None:
                break
            head, body, buf, fields = got
            method, path = head.split(b' ', 2)[:2]
            locked = 'x-amz-object-lock-mode' in fields
            md5 = 'content-md5' in fields
            checksum = any(name.startswith('x-amz-checksum-') for name in fields)
            ranged = 'range' in fields
            refuse = want_md5 and method == b'PUT' and locked and not md5
            with log_lock:
                log.write('%s %s lock=%d md5=%d checksum=%d range=%d %s\n' %
                          (method.decode(), path.decode(), locked, md5, checksum, ranged,
                           'refused' if refuse else 'forwarded'))
                log.flush()
            if refuse:
                answer = (b'HTTP/1.1 400 Bad Request\r\nContent-Type: application/xml\r\n'
                          b'Content-Length: %d\r\n\r\n' % len(REFUSAL)) + REFUSAL
                with send_lock:
                    client.sendall(answer)
                continue
            up.sendall(head + body)
    except (OSError, ValueError):
        pass
    finally:
        up.close()
        client.close()


def main():
    host, port = sys.argv[1].rsplit(':', 1)
    upstream = (host, int(port))
    want_md5 = '--want-md5' in sys.argv[3:]
    log = open(sys.argv[2], 'a', encoding='utf-8')
    log_lock = threading.Lock()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(('127.0.0.1', 0))
    listener.listen(64)
    print(listener.getsockname()[1], flush=True)
    while True:
        client, _ = listener.accept()
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(client, upstream, log, log_lock, want_md5),
                         daemon=True).start()


if __name__ == '__main__':
    main()
