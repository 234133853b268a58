// The help of `troupe start`, apart from the command so that other commands need not load libp2p.

export const START_HELP = `Usage: troupe start [options]

Starts a peer: joins the cluster through the seeds, serves actions over HTTP.

Options (flags win over TROUPE_* variables, which win over the --config file;
see docs/configuration.md):
  --config <file>    JSON file with any of the settings below (camelCase keys:
                     port, host, listen, announce, seeds, app, data, logLevel,
                     suspectAfterMs, deadAfterMs, stopTimeoutMs, leaseMs,
                     voterReplaceAfterMs, adminTokenFile, actionTokenFile,
                     storeFreeBytesMin, storeCommit, taskConcurrency)
  --port <n>         HTTP port (default 8080; 0 picks a free one)
  --host <addr>      HTTP address to bind (default 127.0.0.1)
  --listen <ma>      libp2p multiaddr to listen on, repeatable
                     (default /ip4/127.0.0.1/tcp/<port + 1000>)
  --announce <ma>    multiaddr to announce instead, repeatable
  --seed <ma>        multiaddr of a peer to join through, repeatable
  --app <dir>        app folder whose index module default-exports defineApp()
                     (default ./actors)
  --data <dir>       data folder: identity and store (default .troupe/peer-<port>)
  --log-level <l>    debug | info | warn | error | silent (default info)
  --suspect-after-ms <n>  silence before a member is suspected (default 3000)
  --dead-after-ms <n>     silence before a member is declared dead (default 8000)
  --secret-file <f>       file holding the cluster secret (or set TROUPE_CLUSTER_SECRET);
                          peers without it cannot connect. Never pass the secret itself.
  --admin-token-file <f>  file holding the admin token (or set TROUPE_ADMIN_TOKEN), at least
                          16 characters: /tasks routes and the dashboard's Retry/Cancel need
                          it. Without one they answer only when --host is a loopback address.
  --action-token-file <f> file holding a token every action call must send (or set
                          TROUPE_ACTION_TOKEN); default: actions are open
  --store-free-bytes-min <n>  free disk space kept in reserve: below it writes are refused
                          and the peer does not start (default 67108864, 64 MiB; 0: no check)
  --store-commit <m>      auto | inline | background: how the task store commits (default
                          auto: small commits on lmdb's thread, large ones on the event loop;
                          inline: all on the event loop, which waits for each sync to disk;
                          background: all on lmdb's thread, for disks with slow fsync)
  --task-concurrency <n>  tasks this peer runs at once (default 1)
  --lease-ms <n>          lease term: how long a crashed holder keeps its partitions (default 6000)
  --voter-replace-after-ms <n>  a voter dead this long is replaced by the majority
                          side (default 120000)
  --stop-timeout-ms <n>   how long a graceful stop waits (default 10000)
  -h, --help         show this help
`
