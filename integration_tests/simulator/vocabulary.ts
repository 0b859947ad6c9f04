/** Word lists the generated names and texts are built from. */

export const FIRST_NAMES = [
  "Ada", "Ben", "Chloe", "Dmitri", "Elena", "Farah", "Gus", "Hana", "Ivan", "Jonas", "Keiko", "Liam", "Maya",
  "Nils", "Olga", "Priya", "Quinn", "Rosa", "Sami", "Tariq", "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoe",
] as const;

export const LAST_NAMES = [
  "Abara", "Brandt", "Costa", "Dubois", "Eklund", "Fischer", "Garcia", "Hansen", "Ito", "Jansen", "Kowalski",
  "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Quispe", "Rossi", "Schmidt", "Tanaka", "Ueda", "Varga",
  "Weber", "Xu", "Yilmaz", "Zhang",
] as const;

export const COMPANY_NAMES = [
  "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wonka", "Tyrell", "Cyberdyne",
  "Soylent", "Massive Dynamic", "Aperture", "Gringotts", "Oscorp", "Wayne",
] as const;

export const TEAM_NAMES = [
  "Engineering", "Design", "Marketing", "Sales", "Support", "Finance", "Operations", "People", "Legal",
  "Data", "Security", "Product", "Research", "Partnerships", "Infrastructure", "Growth", "Mobile", "Platform",
  "Quality", "Content",
] as const;

export const PROJECT_TOPICS = [
  "Website relaunch", "Q3 roadmap", "Onboarding revamp", "Billing migration", "Mobile app v2", "Brand refresh",
  "Hiring plan", "Customer interviews", "Data warehouse", "Security audit", "Partner portal", "Launch campaign",
  "Support backlog", "API deprecation", "Pricing experiment", "Offsite planning", "Docs overhaul",
  "Performance sprint", "Compliance review", "Holiday promo",
] as const;

export const SECTION_NAMES = ["Backlog", "To do", "In progress", "Review", "Done", "Blocked", "Ideas", "Next up"] as const;

export const TASK_VERBS = [
  "Draft", "Review", "Update", "Fix", "Design", "Plan", "Test", "Ship", "Document", "Prepare", "Audit", "Migrate",
  "Schedule", "Research", "Refactor", "Approve",
] as const;

export const TASK_OBJECTS = [
  "landing page copy", "release notes", "login flow", "quarterly report", "API client", "pricing table",
  "onboarding email", "dashboard filters", "invoice template", "search index", "style guide", "test plan",
  "data export", "contract", "vendor list", "error messages", "access review", "backup policy", "sprint board",
  "feedback survey",
] as const;

export const TAG_NAMES = [
  "urgent", "bug", "blocked", "customer", "quick-win", "design", "backend", "frontend", "legal", "finance",
  "needs-review", "follow-up",
] as const;

export const COMMENTS = [
  "Looks good to me.", "Can we get this done by Friday?", "I left a few notes in the doc.",
  "Blocked on the API change, will pick it up after.", "Done, please double-check the numbers.",
  "Moving this to next sprint.", "Thanks! Merged.", "Who owns this now?", "Added the screenshots.",
  "Let's discuss in the weekly sync.",
] as const;

export const STATUS_TITLES = ["Weekly status", "Status update", "Sprint review", "Monthly update", "Milestone check-in"] as const;

export const FILE_NAMES = ["spec", "mockup", "notes", "report", "screenshot", "budget", "contract", "diagram", "export", "slides"] as const;

export const FILE_TYPES = [
  { extension: "pdf", host: "asana" },
  { extension: "png", host: "asana" },
  { extension: "xlsx", host: "gdrive" },
  { extension: "docx", host: "dropbox" },
  { extension: "pptx", host: "box" },
] as const;

/** The custom fields every workspace defines (an organization all of them, a personal workspace the first half). */
export const CUSTOM_FIELD_DEFINITIONS = [
  { name: "Priority", type: "enum", options: ["Low", "Medium", "High", "Urgent"] },
  { name: "Estimate (h)", type: "number", precision: 1 },
  { name: "Ticket", type: "text", prefix: "TCK" },
  { name: "Review date", type: "date" },
  { name: "Stage", type: "enum", options: ["Idea", "Planned", "Building", "Shipped"] },
  { name: "Labels", type: "multi_enum", options: ["Frontend", "Backend", "Docs", "Infra", "Research"] },
  { name: "Reviewers", type: "people" },
  { name: "Budget", type: "number", precision: 2, currency: "EUR" },
] as const;

/** Colours of enum options, in Asana's palette. */
export const ENUM_OPTION_COLORS = ["none", "red", "orange", "yellow-orange", "yellow", "yellow-green", "green", "blue-green", "aqua", "blue", "indigo", "purple", "magenta", "hot-pink", "pink", "cool-gray"] as const;
