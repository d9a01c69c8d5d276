// Stylesheets imported for their side effect; esbuild writes them to dist/webview/*.css.
declare module '*.css';
