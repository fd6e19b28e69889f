"""Contract suite: does a deployment (or the mock) honour its published OpenAPI contract?

    pick spec + target (targets) -> frozen contract (contract, oracle) + a run (run)
          -> Schemathesis generates cases (runner) -> built-in checks + our check classes,
             each instance holding the run (check, semantics, rejections, followup)
          -> the suite's own phases (unusual, lifecycle) -> after the run: the verdict
             (acceptance) -> classify: violation | tolerated spec gap (gaps), stated or
             inferred expectation (evidence)
          -> report: terminal summary, JUnit per (API, check), Markdown, curl reproductions
             (report, findings, curl, markdown)

`mockserver contract` (cli) runs this pytest suite from an installed package.

Layering: `contracts` imports `mockserver` (to run it in-process and to share the spec
loader, the profile and its compiled update plans; not the oracle, which judges the mock);
`mockserver` never imports `contracts` (`mockserver contract` alone imports `contracts.cli`,
lazily, when that subcommand is given).
"""
