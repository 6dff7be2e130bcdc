// Allure 3 config for comptrust. `python -m reports.build` passes the per-run paths as env vars,
// so this file stays static and reviewable.
import { existsSync, readFileSync } from "node:fs";

const categoriesPath = process.env.COMPTRUST_ALLURE_CATEGORIES;
// Same rules as the results folder's categories.json (Allure 3's awesome UI reads them from here).
const categories =
  categoriesPath && existsSync(categoriesPath) ? JSON.parse(readFileSync(categoriesPath, "utf8")) : undefined;

export default {
  name: process.env.COMPTRUST_REPORT_NAME || "comptrust trust gate",
  historyPath: process.env.COMPTRUST_ALLURE_HISTORY || undefined,
  categories,
  plugins: {
    awesome: {
      options: {
        singleFile: true,
        reportName: process.env.COMPTRUST_REPORT_NAME || "comptrust trust gate",
        theme: "light",
        reportLanguage: "en",
        // Tree: dimension → metric → one leaf per model config; failures sorted first.
        groupBy: ["feature", "story"],
        defaultSortBy: "status,asc",
        stepTreeExpansion: "expand_failed_only",
      },
    },
  },
};
