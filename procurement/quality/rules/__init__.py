"""One function per kind of rule, each returning `RuleResult` lines for a batch's facts;
`procurement.quality.checklist.evaluate` runs them in order.

* `origin`: the grade fits the origin; what donated goods are checked as.
* `documents`: the required papers are attached.
* `numbers`: the numbers printed on the papers (registration, production licence, unified
  social credit code, NIOSH, CE notified body, FDA, customs declaration).
* `validity`: a paper covers the receipt date.
* `company`: the papers name one company.
* `reports`: a test report's measured values against the grade's standard.
* `confirmations`: the inspector's confirmations (goods match the order, packaging intact).
"""
