"""Benchmark playbooks/aws.yml against moto in server mode: the first converge of a separated topology in two
accounts (development: platform, workloads; production: staging, production), the no-op re-run and a check run,
with the AWS requests of each per service and how many of them write, from moto's own request recording.

    python bench/aws.py

Writes bench/results/aws.json and bench/results/aws.md. Goal (issue 18): the no-op writes nothing.
moto answers in milliseconds, so the times are the collection's and Ansible's, not AWS's (an EKS cluster takes
about ten minutes to create on AWS, which the role waits for).
"""

import os
import sys
import tempfile
import time
from pathlib import Path


REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import _results  # noqa: E402  pylint: disable=wrong-import-position
from sandbox import moto  # noqa: E402  pylint: disable=wrong-import-position

CLUSTERS = {"development": ("111111111111", ["platform", "workloads"]),
            "production": ("222222222222", ["staging", "production"])}
REGION = "eu-central-1"


def platform_zone(url):
    """The platform's public hosted zone in the development account (ACM validates the ingress certificate there)."""
    import boto3

    sts = boto3.client("sts", region_name=REGION, endpoint_url=url, aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    account_id = CLUSTERS["development"][0]
    creds = sts.assume_role(RoleArn="arn:aws:iam::%s:role/krci-automation" % account_id,
                            RoleSessionName="bench")["Credentials"]
    route53 = boto3.client("route53", region_name=REGION, endpoint_url=url, aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    zone = route53.create_hosted_zone(Name="platform.example.com", CallerReference="bench")["HostedZone"]["Id"]
    return zone.rsplit("/", 1)[-1]


def inventory(where, url, zone):
    aws = {"region": REGION, "endpoint_url": url,
           "accounts": dict((account, {"id": account_id, "role_arn": "arn:aws:iam::%s:role/krci-automation" % account_id,
                                       "clusters": names}) for account, (account_id, names) in CLUSTERS.items()),
           "secrets_backends": {"dev": "aws_parameter_store", "production": "aws_secrets_manager"},
           "ecr": {"repositories": ["orders", "payments"]}, "vault_kms_cluster": "platform",
           "hosted_zones": {"platform": zone},
           "acm": {"platform": {"domain_name": "*.platform.example.com",
                                "subject_alternative_names": ["platform.example.com"]}}}
    return moto.aws_only_topology(where, "separated", aws, [n for _id, names in CLUSTERS.values() for n in names])


def timed(path, env, log, url, *extra):
    moto.reset(url)
    seconds = _results.run_playbook(REPO / "playbooks" / "aws.yml", env, ["-i", str(path)] + list(extra))
    made = moto.requests_made(log)
    return {"seconds": seconds, "requests": moto.counts(made), "actions": moto.actions(made)}


def main():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1",
               AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        log = where / "moto.log"
        url, process = moto.start(log)
        try:
            path = inventory(where, url, platform_zone(url))
            runs = {"check_fresh": timed(path, env, log, url, "--check", "--diff"),
                    "first": timed(path, env, log, url),
                    "noop": timed(path, env, log, url),
                    "check_converged": timed(path, env, log, url, "--check", "--diff")}
        finally:
            process.terminate()
            process.wait(10)
    total = dict((name, {"requests": sum(s["requests"] for s in r["requests"].values()),
                         "writes": sum(s["writes"] for s in r["requests"].values())}) for name, r in runs.items())
    # The automation role's permissions, as measured: every action any run called (the access-entry and identity
    # provider calls moto lacks are not among them; docs/aws.md adds them).
    permissions = sorted(set(a for r in runs.values() for a in r["actions"]))
    goals = {"noop_writes_nothing": total["noop"]["writes"] == 0,
             "check_writes_nothing": total["check_fresh"]["writes"] == 0 and total["check_converged"]["writes"] == 0}
    result = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cores": os.cpu_count(),
              "clusters": 4, "accounts": 2, "runs": runs, "totals": total, "goals": goals,
              "permissions_called": permissions}
    services = sorted(set(s for r in runs.values() for s in r["requests"]))
    lines = ["# AWS benchmark (playbooks/aws.yml against moto, separated topology in two accounts)", "",
             "| run | seconds | requests | writes | " + " | ".join("%s (req/writes)" % s for s in services) + " |",
             "| --- | --- | --- | --- | " + " | ".join("---" for _s in services) + " |"]
    for name in ("check_fresh", "first", "noop", "check_converged"):
        run = runs[name]
        lines.append("| %s | %.2f | %d | %d | %s |" % (
            name, run["seconds"], total[name]["requests"], total[name]["writes"],
            " | ".join("%d/%d" % (run["requests"].get(s, {}).get("requests", 0),
                                  run["requests"].get(s, {}).get("writes", 0)) for s in services)))
    lines += ["", "Measured %s on %d cores. Goals: %s" % (result["measured_at"], result["cores"], goals), "",
              "check_fresh is a check run against empty accounts, check_converged one against the converged accounts.",
              "", "Actions called (the automation role's measured permissions, %d):" % len(permissions), "",
              ", ".join("`%s`" % a for a in permissions)]
    _results.write("aws", result, lines)
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
