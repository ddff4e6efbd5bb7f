"""The quality gate's rules: which papers a batch of masks needs and whether they hold up.

Pure Python: no Flask, no database. The Flask layer fills `BatchFacts` (with its
`CertificateFacts`) from its models and calls `evaluate(batch)`, which returns a `Checklist`:
a list of `RuleResult` (pass / fail / warn, each with its message in Simplified Chinese and
English) and an overall verdict — any FAIL makes the verdict FAIL, otherwise any WARN makes it
WARN. A batch whose verdict is FAIL can only be released with a written override reason.

Requirement table
=================
Which certificate kinds a batch needs, by grade and origin (`requirement_for`). "One of" means at
least one of the listed kinds; "recommended" kinds only give a warning when missing. Imported
goods also need the inspector's two confirmations (goods match the order, packaging intact).

======================  =========================  ==============================================
grade                   origin                     needs
======================  =========================  ==============================================
medical protective      domestic medical           registration certificate, production licence,
(GB 19083-2010),                                   business licence, test report
surgical                domestic non-medical       the same (the goods are medical devices
(YY 0469-2011),                                    whatever they were recorded as) — and the
disposable medical                                 origin itself FAILS (`origin.consistent`)
(YY/T 0969-2013)        imported                   customs declaration; one of NIOSH approval, CE
                                                   certificate, FDA authorisation, or a Chinese
                                                   import registration (国械注进/许); the
                                                   inspector's confirmations
                        donation                   donation letter, plus the row above for what
                                                   the goods are (domestic or imported)
KN95 (GB 2626-2006),    domestic non-medical       business licence, test report; conformity
daily protective                                   certificate recommended
(GB/T 32610-2016)       domestic medical           the same, with a WARN that the grade is not a
                                                   medical device (`origin.consistent`)
                        imported                   customs declaration; one of NIOSH approval, CE
                                                   certificate, FDA authorisation; the inspector's
                                                   confirmations
                        donation                   donation letter, plus the row above for what
                                                   the goods are
======================  =========================  ==============================================

For a donation the goods are checked as imported when `BatchFacts.donated_goods_origin` says so,
or — when it is not given — when a NIOSH approval, CE certificate, FDA authorisation or customs
declaration is attached; otherwise as domestic (`donation.goods_origin` says which was used).

What each rule checks
=====================
* `grade.known`, `origin.consistent`: the grade is one this table covers; the origin fits it.
* `documents.<kind>` / `documents.foreign_approval`: the required papers are attached.
* `registration.number`: 2014 format (see `validators.parse_registration_number`; the authority is
  国, a province's abbreviation or 兵 for the Xinjiang Production and Construction Corps); 械备
  filings and pre-2014 formats fail; class digit must be 2 or 3; a province approves Class II only
  (Class III under a province fails), 国 with 准 is a domestic Class III number (warn for masks,
  which are Class II); imports (进/许) are always 国; category 14 (2017 catalogue) or 64 (2002)
  else warn; a first-registration year after the receipt date fails; 准 on imported goods or 进/许
  on domestic goods warns.
* `production_licence.number`, `business_licence.uscc`, `niosh.number`, `ce.notified_body`,
  `customs.number`, `fda.number`: the number formats.
  CE decision (documented here as asked): respirators (medical protective, KN95) are EU PPE
  Category III and need an EU type-examination certificate from a notified body, so a CE paper
  with no four-digit notified-body number FAILS; surgical, disposable medical and daily masks may
  be CE-marked on the maker's own declaration (EU medical-device Class I), so there it only WARNS.
  Number 1282 (ECM, Ente Certificazione Macchine) FAILS for every grade: ECM states it is not a
  notified body for PPE and its "certificates of compliance" are not CE certificates
  (entecerma.it, 3 March 2021; European Safety Federation warning of April 2020).
  FDA: an FDA establishment registration or listing number (7-10 digits only) is not an
  authorisation and FAILS; a 510(k) number (K + 6 digits) or an EUA reference passes; anything
  else warns.
* `validity.<kind>`: the certificate covers the receipt date (valid_from <= received_on <=
  valid_until); expiring within 30 days after receipt warns; a registration certificate,
  production licence or CE certificate with no end date warns (business licences may be 长期,
  NIOSH approvals and EUAs have no fixed end). A registration certificate valid for six months or
  less is called out as an emergency approval (应急审批) in the message. Test reports, conformity
  certificates, customs declarations and donation letters have no validity to check.
* `company.same_name`: the holders of the business licence, production licence, registration
  certificate and test report, and the batch's maker, are one company (domestic goods only).
  Names are compared after folding full-width/half-width characters, dropping whitespace and
  brackets; when they differ only in the company-form suffix (有限公司 / 有限责任公司 /
  股份有限公司 / 公司) the rule warns, otherwise it fails.
* `test.<measure>`: every test report's measured values against the grade's standard
  (`STANDARD_LIMITS`); a missing value fails and names what is missing (for imported goods,
  whose report is not required and may follow a foreign standard, a missing value only warns;
  a value given and out of limits still fails).
* `origin.made_in`: goods made in China (产地 CN) that came in as imports are checked as domestic
  goods: an export paper (CE, FDA, NIOSH) does not replace the Chinese registration or the GB
  test report. An import whose maker has a Chinese name and no recorded country FAILS until the
  country is recorded.
* `standard.edition`, `design.valve`: a KN95 batch is judged by the GB 2626 edition in force on
  its production date (2006 before 2020-07-01, 2019 from then; no date: 2019, with a WARN); for
  the 2019 edition whether the mask has an exhalation valve must be recorded (clause 5.5 sets
  different resistance limits; until recorded the stricter of each applies and the line FAILS).
  A medical protective mask with a valve FAILS (GB 19083-2010, 4.1). The limits are in
  `limits.limits_for`, with their sources.
* `registration.product`, `registration.model`: the registration certificate's product name
  (产品名称) is the grade received (医用外科口罩 for surgical masks, …: a 一次性使用医用口罩
  registration on a surgical batch FAILS); the model received is among its models (型号、规格),
  when they are recorded. No product name recorded WARNS.
* `company.entrusted` (instead of `company.same_name`, when the batch records a registrant 注册人
  other than its maker): under the registrant system (注册人制度) the registration certificate
  names the registrant, the production licence the contract maker (受托生产企业); a business
  licence or test report may name either. Any other holder FAILS.
* `company.listed`: the maker, registrant, supplier and every paper's holder (and the business
  licences' codes) against the negative list (黑名单) kept by the administrator; a match FAILS.
* `company.foreign_holder`: a NIOSH approval or FDA authorisation held by another company than the
  maker FAILS (counterfeit respirators carried other makers' approval numbers; NIOSH counterfeit
  respirator notice, April 2020).
* `inspection.goods_match_order`, `inspection.packaging_intact`: for imported goods (and donated
  imported goods) None fails with "needs the inspector's confirmation"; for any goods a recorded
  False fails.

Standard limits and where they come from are documented at `STANDARD_LIMITS` (`limits.py`).

Where things are
================
``vocabulary`` the words (enums and their names in both languages; the grade codes and origins
come from `catalog.vocabulary`), ``facts`` the inputs and outputs, ``requirements`` the table
above, ``limits`` the standards' limits, ``rules`` one module per kind of rule, ``checklist``
`evaluate`. Everything public is imported here: `from procurement.quality import ...`.
"""

from core.text import Message

from .checklist import evaluate
from .facts import BatchFacts, CertificateFacts, Checklist, ListedCompany, RuleResult
from .limits import GB2626_2019_FROM, STANDARD_LIMITS, Limit, kn95_edition, limits_for
from .requirements import Requirement, requirement_for
from .rules.company import normalise_company_name
from .rules.numbers import NOT_PPE_NOTIFIED_BODIES
from .rules.product import GRADE_PRODUCT_NAMES
from .rules.validity import EMERGENCY_APPROVAL_MAX_DAYS, EXPIRY_WARNING_DAYS
from .vocabulary import (
    GRADE_LABELS,
    KIND_LABELS,
    MEASURE_LABELS,
    MEDICAL_GRADES,
    ORIGIN_LABELS,
    RESPIRATOR_GRADES,
    CertificateKind,
    Grade,
    Measure,
    Origin,
    Outcome,
)

__all__ = [
    "EMERGENCY_APPROVAL_MAX_DAYS",
    "EXPIRY_WARNING_DAYS",
    "GB2626_2019_FROM",
    "GRADE_LABELS",
    "GRADE_PRODUCT_NAMES",
    "KIND_LABELS",
    "MEASURE_LABELS",
    "MEDICAL_GRADES",
    "NOT_PPE_NOTIFIED_BODIES",
    "ORIGIN_LABELS",
    "RESPIRATOR_GRADES",
    "STANDARD_LIMITS",
    "BatchFacts",
    "CertificateFacts",
    "CertificateKind",
    "Checklist",
    "Grade",
    "Limit",
    "ListedCompany",
    "Measure",
    "Message",
    "Origin",
    "Outcome",
    "Requirement",
    "RuleResult",
    "evaluate",
    "kn95_edition",
    "limits_for",
    "normalise_company_name",
    "requirement_for",
]
