// eslint's flat config for the console (pledge/console/static): native ES modules in the browser.
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["pledge/console/static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: "module",
      globals: globals.browser,
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      eqeqeq: "error",
      "no-shadow": "error",
      "no-var": "error",
      "prefer-const": "error",
      "no-implicit-globals": "error",
      "no-promise-executor-return": "error",
      "no-unused-vars": ["error", { args: "after-used" }],
      // A failure turned into empty data is a failure nobody sees (issue 25): no `.catch(() => [])`.
      "no-restricted-syntax": ["error", {
        selector: "CallExpression[callee.property.name='catch'] > ArrowFunctionExpression[params.length=0]",
        message: "Do not swallow a failure: show it on the page (dom.js problem()).",
      }, {
        selector: "CallExpression[callee.property.name='then'][arguments.1.type='ArrowFunctionExpression'][arguments.1.params.length=0]",
        message: "Do not swallow a failure: show it on the page (dom.js problem()).",
      }],
    },
  },
];
