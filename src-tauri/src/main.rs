//! Quarry's desktop app: a window showing the workbench UI (`ui/dist`), and two commands that
//! hand everything to the workbench — `rpc` for every command, `listen` for the window's run
//! events. No logic lives here; the same surface is `quarry serve`'s.
// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod host;
mod links;

use tauri::Manager;

// The engine and the history allocate many small, short-lived values (README, Benchmarks).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    commands::STARTED.get_or_init(std::time::Instant::now);
    let app = tauri::Builder::default()
        // A second start focuses the open window instead of opening a second history writer.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .setup(|app| {
            let state = commands::Desktop::new(host::DesktopHost::for_app(app.handle())?);
            app.manage(state);
            // The window is made here rather than at start-up (`create: false` in
            // tauri.conf.json) because only a builder can take the handlers for links (`links`).
            let config = app
                .config()
                .app
                .windows
                .iter()
                .find(|w| w.label == "main")
                .cloned()
                .ok_or("tauri.conf.json has no window labelled main")?;
            tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?
                .on_navigation(|url| {
                    if links::is_outside(url) {
                        links::open_outside(url);
                        return false;
                    }
                    true
                })
                .on_new_window(|url, _features| {
                    if links::is_outside(&url) {
                        links::open_outside(&url);
                    }
                    tauri::webview::NewWindowResponse::Deny
                })
                .build()?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::rpc,
            commands::listen,
            commands::painted
        ])
        .build(tauri::generate_context!("../tauri.conf.json"));
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(e) => {
            // No window could be made (no display, a broken WebView): say so on the terminal.
            eprintln!("quarry-desktop: {e}");
            std::process::exit(1);
        }
    }
}
