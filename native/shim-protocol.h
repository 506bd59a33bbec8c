/* The kapal-shim protocol: the one definition of every message between kapald, the shim and the
 * container child. src/runtime/shim/protocol.ts mirrors the numbers and names below, and
 * test/unit/shim-protocol.test.ts fails when the two differ. docs/shim.md explains the design.
 *
 * Every message, on every channel, is one frame:
 *
 *     +--------+----------------------+------------------+
 *     | type:1 | length:4 (big endian)| payload: length  |
 *     +--------+----------------------+------------------+
 *
 * 1. Start channel: fd 3 of the shim, a socketpair kapald created (`spawn` stdio 'pipe').
 *
 *     kapald                          kapal-shim                        child (new namespaces)
 *       | spawn(kapal-shim run DIR)     |                                  |
 *       |                               |-- listen STATE_DIR/sock          |
 *       |                               |-- clone(CLONE_NEW*) ------------>| waits for SYNC_GO
 *       |<------ SHIM_READY(pid) -------|                                  |
 *       |  veths into the child's netns,|                                  |
 *       |  connect attach clients,      |                                  |
 *       |  write their CLIENT_ATTACH    |                                  |
 *       |------- SHIM_GO -------------->|                                  |
 *       |                               |-- accept the waiting clients     |
 *       |                               |-- (userns: child into cgroups)   |
 *       |                               |------- SYNC_GO ----------------->| joins its cgroups,
 *       |                               |                                  | unshare(CLONE_NEWCGROUP),
 *       |                               |                                  | mounts, pivot_root, user,
 *       |                               |<------ SYNC_PTY (tty only) ------| caps... execve
 *       |                               |<------ SYNC_ERROR (on failure) --|
 *       |                               |<------ EOF (exec succeeded) -----|  (sync fd is O_CLOEXEC)
 *       |                               |-- write STATE_DIR/pid            |
 *       |<------ SHIM_STARTED(pid) -----|  or SHIM_FAILED(message)         |
 *       |  closes the start channel     |-- monitor loop until the child exits
 *
 *    SHIM_FAILED can come at any step, even instead of SHIM_READY (a spec the shim refuses);
 *    the shim then exits 1. After SHIM_STARTED the start channel is not needed: the shim and
 *    the container go on when kapald closes it or dies.
 *
 * 2. The child sync channel: a socketpair between the shim and the child, SYNC_* messages.
 *    SYNC_PTY carries the pty master as SCM_RIGHTS and an empty payload.
 *    SYNC_ERROR's payload is the message moby would print (`exec: "x": executable file not
 *    found in $PATH`), which kapald turns into exit code 127/126/125 as docker does.
 *
 * 3. The container socket: STATE_DIR/sock, served by the shim while the container lives.
 *    Any number of clients; each may send any CLIENT_* message at any time:
 *      CLIENT_ATTACH   payload 1 byte: ATTACH_STDIN | ATTACH_STDOUT | ATTACH_STDERR; the shim then
 *                      sends OUT_STDOUT / OUT_STDERR frames of live output to this client (with a
 *                      tty everything is OUT_STDOUT). A client attached for output may half-close
 *                      its side and still receive output.
 *      CLIENT_STDIN    payload: bytes for the container's stdin (or the pty)
 *      CLIENT_CLOSE_STDIN  closes the container's stdin (docker's StdinOnce)
 *      CLIENT_RESIZE   payload 4 bytes: rows:2, cols:2 (big endian); TIOCSWINSZ on the pty master
 *      CLIENT_SIGNAL   payload 4 bytes: signal number (big endian); kill(2) on the container's pid 1,
 *                      only until the shim has reaped it
 *    and the shim sends:
 *      OUT_STDOUT, OUT_STDERR  output, only to clients that asked for that stream
 *      OUT_EXIT        to every client when the container has exited and its exit file is
 *                      written; payload: the exit file's JSON. The shim closes the socket after it.
 *    A client that falls behind holds the output back (the container waits, nothing is lost);
 *    one that takes nothing for a while, or whose pending output passes SHIM_CLIENT_BUFFER_MAX,
 *    loses its connection (clients.c). The log always gets everything.
 */
#ifndef KAPAL_SHIM_PROTOCOL_H
#define KAPAL_SHIM_PROTOCOL_H

#define SHIM_PROTOCOL_VERSION 1

/* Frame header: type byte plus a 4-byte big-endian payload length. */
#define SHIM_FRAME_HEADER 5
/* Largest payload anyone sends; output is framed in pieces of at most this size. */
#define SHIM_FRAME_MAX 32768
/* Pending output per client before the shim drops that client: 32 MiB is some hundreds of
 * milliseconds of a fast writer, room for a busy kapald; memory only a lagging client uses. */
#define SHIM_CLIENT_BUFFER_MAX (32 * 1024 * 1024)

enum shim_start_msg {
  SHIM_READY = 1,   /* shim -> kapald: socket listening, child cloned and waiting; payload its pid */
  SHIM_GO = 2,      /* kapald -> shim: attach clients are connected; start the child */
  SHIM_STARTED = 3, /* shim -> kapald: payload 4 bytes, the container's pid (host view) */
  SHIM_FAILED = 4,  /* shim -> kapald: payload the error message; the shim then exits */
};

enum shim_sync_msg {
  SYNC_GO = 16,    /* shim -> child: clients are connected; go on */
  SYNC_PTY = 17,   /* child -> shim: pty master as SCM_RIGHTS */
  SYNC_ERROR = 18, /* child -> shim: payload the error message; the child then exits 127 */
};

enum shim_client_msg {
  CLIENT_ATTACH = 32,
  CLIENT_STDIN = 33,
  CLIENT_CLOSE_STDIN = 34,
  CLIENT_RESIZE = 35,
  CLIENT_SIGNAL = 36,
};

enum shim_output_msg {
  OUT_STDOUT = 48,
  OUT_STDERR = 49,
  OUT_EXIT = 50,
};

enum shim_attach_flag {
  ATTACH_STDIN = 1,
  ATTACH_STDOUT = 2,
  ATTACH_STDERR = 4,
};

#endif
