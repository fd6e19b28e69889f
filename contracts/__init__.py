"""Contract suite: does a deployment (or the mock) honour its published OpenAPI contract?

    pick spec + target (targets) -> credentials per security scheme (credentials)
          -> Schemathesis generates cases (runner) -> built-in checks + semantic checks
             (semantics, followup, unusual, lifecycle) -> classify: violation | tolerated spec gap
             (gaps), stated or inferred expectation (evidence)
          -> report: terminal summary, JUnit per (API, check), Markdown, curl reproductions
             (report, findings, curl, markdown)

`mockserver contract` (cli) runs this pytest suite from an installed package.

Layering: `contracts` imports `mockserver` (to run it in-process and to share the spec
loader, the profile and its compiled update plans); `mockserver` never imports `contracts`
(`mockserver contract` alone imports `contracts.cli`, lazily, when that subcommand is given).
"""
