"""python -m sandbox {build,up,down,status,env} --option OPTION"""

import argparse
import json
import sys

from sandbox import build, core, procs, topology


def _parser():
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=(
        "Real Kubernetes control planes, Keycloak and OpenBao on loopback for one cluster allocation option."))
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("up", "build what is missing, start everything, write kubeconfigs and an inventory"),
                       ("down", "stop every process of the sandbox and delete its state"),
                       ("status", "print the sandbox state as JSON; exit 1 if it is down or a process died"),
                       ("env", "print shell exports (PATH, KUBECONFIG, VAULT_ADDR) for the sandbox")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--option", required=True, help="allocation option: %s" % ", ".join(topology.OPTIONS))
        if name == "up":
            cmd.add_argument("--no-keycloak", action="store_true", help="skip Keycloak (API servers get no OIDC)")
            cmd.add_argument("--no-openbao", action="store_true", help="skip OpenBao")
            cmd.add_argument("--timeout", type=int, default=300, help="seconds to wait for readiness (default 300)")
            cmd.add_argument("--openshift", default="", help=(
                "comma-separated clusters that get the openshift flavour: OpenShift's API groups as CRDs, seeded "
                "objects, and test stand-ins for UID ranges, OLM resolution and Route admission (sandbox/openshift.py)"))
    cmd = sub.add_parser("restart", help="restart one process of a running sandbox (keycloak, openbao, <cluster>/kube-apiserver)")
    cmd.add_argument("--option", required=True, help="allocation option: %s" % ", ".join(topology.OPTIONS))
    cmd.add_argument("service", help="process name, e.g. keycloak, openbao, workloads/kube-apiserver")
    cmd = sub.add_parser("argocd", help=("start the real Argo CD of every instance and the Sealed Secrets controllers "
                                           "(after the option's playbook installed them) and commit the report's "
                                           "app-of-apps files to Git"))
    cmd.add_argument("--option", required=True, help="allocation option: %s" % ", ".join(topology.OPTIONS))
    cmd.add_argument("--layout", help="the run report's gitops/ directory to commit (default: the inventory's reports/gitops)")
    cmd = sub.add_parser("build", help="build or fetch components into the cache (default: all)")
    cmd.add_argument("components", nargs="*", help="any of: %s" % ", ".join(build.ALL))
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        if args.command == "build":
            build.build_all(args.components or None)
            return 0
        if args.command == "up":
            state = core.up(args.option, with_keycloak=not args.no_keycloak, with_openbao=not args.no_openbao,
                            timeout=args.timeout, openshift=[n for n in args.openshift.split(",") if n])
            print(json.dumps({"option": args.option, "inventory": state["inventory"], "home": state["home"]}))
            return 0
        if args.command == "argocd":
            instances = core.start_argocd(args.option)
            sealed = core.start_sealed_secrets(args.option)
            layout = args.layout or str(core.inventory_root() / args.option / "reports" / "gitops")
            commit = core.publish_gitops(args.option, layout)
            print(json.dumps({"instances": instances, "sealed_secrets": sealed, "commit": commit}, indent=2))
            return 0
        if args.command == "down":
            core.down(args.option)
            return 0
        if args.command == "restart":
            core.restart(args.option, args.service)
            return 0
        if args.command == "status":
            return core.main_status(args.option)
        if args.command == "env":
            state = core.status(args.option)
            if state is None:
                sys.stderr.write("sandbox %s is down; run: python -m sandbox up --option %s\n" % (args.option, args.option))
                return 1
            print("\n".join(core.env_lines(state)))
            return 0
    except (topology.TopologyError, core.SandboxError, build.BuildError, procs.ComponentError) as exc:
        sys.stderr.write("sandbox: error: %s\n" % exc)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
