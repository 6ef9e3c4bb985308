// SPDX-License-Identifier: MIT
/* plugin.h compiles as C11 with -Wall -Wextra -pedantic -Werror, and the
 * layout of every public struct is pinned for LP64 targets (x86_64, aarch64):
 * an accidental reorder or retype fails the build. */
#include <mgpux/plugin.h>

#include <stddef.h>

#if defined(__LP64__) || defined(_LP64)
#define PIN(T, field, off) _Static_assert(offsetof(T, field) == (off), #T "." #field " moved")
#define SIZE(T, n) _Static_assert(sizeof(T) == (n), "sizeof(" #T ") changed")

PIN(mgpux_plugin_descriptor, struct_size, 0);
PIN(mgpux_plugin_descriptor, abi_major, 4);
PIN(mgpux_plugin_descriptor, abi_minor, 6);
PIN(mgpux_plugin_descriptor, id, 8);
PIN(mgpux_plugin_descriptor, version, 16);
PIN(mgpux_plugin_descriptor, summary, 24);
PIN(mgpux_plugin_descriptor, help_panel, 32);
PIN(mgpux_plugin_descriptor, commands, 40);
PIN(mgpux_plugin_descriptor, command_count, 48);
PIN(mgpux_plugin_descriptor, init, 56);
PIN(mgpux_plugin_descriptor, run, 64);
PIN(mgpux_plugin_descriptor, shutdown, 72);
SIZE(mgpux_plugin_descriptor, 80);

PIN(mgpux_option, struct_size, 0);
PIN(mgpux_option, name, 8);
PIN(mgpux_option, short_alias, 16);
PIN(mgpux_option, type, 20);
PIN(mgpux_option, flags, 24);
PIN(mgpux_option, metavar, 32);
PIN(mgpux_option, help, 40);
PIN(mgpux_option, default_value, 48);
PIN(mgpux_option, choices, 56);
PIN(mgpux_option, exclusive_group, 64);
SIZE(mgpux_option, 72);

PIN(mgpux_command, struct_size, 0);
PIN(mgpux_command, path, 8);
PIN(mgpux_command, summary, 16);
PIN(mgpux_command, help, 24);
PIN(mgpux_command, options, 32);
PIN(mgpux_command, option_count, 40);
PIN(mgpux_command, flags, 44);
PIN(mgpux_command, trailing_name, 48);
SIZE(mgpux_command, 56);

PIN(mgpux_host, struct_size, 0);
PIN(mgpux_host, abi_major, 4);
PIN(mgpux_host, abi_minor, 6);
PIN(mgpux_host, host_version, 8);
PIN(mgpux_host, host_data, 16);
PIN(mgpux_host, set_error, 24);
PIN(mgpux_host, log, 32);
PIN(mgpux_host, write_text, 40);
PIN(mgpux_host, write_table, 48);
PIN(mgpux_host, write_json, 56);
PIN(mgpux_host, progress, 64);
PIN(mgpux_host, prompt_select, 72);
PIN(mgpux_host, prompt_text, 80);
PIN(mgpux_host, prompt_confirm, 88);
PIN(mgpux_host, render_template, 96);
PIN(mgpux_host, render_string, 104);
PIN(mgpux_host, hostinfo, 112);
PIN(mgpux_host, get_service, 120);
PIN(mgpux_host, last_error, 128);
PIN(mgpux_host, args_has, 136);
PIN(mgpux_host, args_get_string, 144);
PIN(mgpux_host, args_get_int, 152);
PIN(mgpux_host, args_get_float, 160);
PIN(mgpux_host, args_get_bool, 168);
PIN(mgpux_host, args_count, 176);
PIN(mgpux_host, args_get_item, 184);
SIZE(mgpux_host, 192);
/* Service tables (mgpux/service/): struct_size, then one pointer per function. */
PIN(mgpux_process_service, run, 8);
PIN(mgpux_process_service, locate, 16);
PIN(mgpux_process_service, read_stdin, 24);
PIN(mgpux_process_service, open_url, 32);
SIZE(mgpux_process_service, 40);
PIN(mgpux_modal_service, call, 8);
PIN(mgpux_modal_service, fan_out, 16);
PIN(mgpux_modal_service, app_stop, 24);
PIN(mgpux_modal_service, secret_create, 32);
PIN(mgpux_modal_service, secret_delete, 40);
PIN(mgpux_modal_service, call_many, 48);
SIZE(mgpux_modal_service, 56);
PIN(mgpux_runner_service, run, 8);
SIZE(mgpux_runner_service, 16);
PIN(mgpux_profiles_service, list, 8);
PIN(mgpux_profiles_service, resolve, 16);
PIN(mgpux_profiles_service, upsert, 24);
PIN(mgpux_profiles_service, remove, 32);
PIN(mgpux_profiles_service, set_active, 40);
PIN(mgpux_profiles_service, parse_token_command, 48);
SIZE(mgpux_profiles_service, 56);
PIN(mgpux_state_service, read, 8);
PIN(mgpux_state_service, modify, 16);
PIN(mgpux_state_service, session_save, 24);
PIN(mgpux_state_service, session_get, 32);
PIN(mgpux_state_service, session_update, 40);
PIN(mgpux_state_service, session_forget, 48);
PIN(mgpux_state_service, preset_list, 56);
PIN(mgpux_state_service, preset_get, 64);
PIN(mgpux_state_service, preset_save, 72);
PIN(mgpux_state_service, preset_delete, 80);
SIZE(mgpux_state_service, 88);
PIN(mgpux_catalog_service, get, 8);
PIN(mgpux_catalog_service, parse_gpu, 16);
PIN(mgpux_catalog_service, parse_cpu, 24);
PIN(mgpux_catalog_service, parse_python, 32);
SIZE(mgpux_catalog_service, 40);
PIN(mgpux_http_service, request, 8);
SIZE(mgpux_http_service, 16);

#endif

/* Exit codes are part of the contract too. */
_Static_assert(MGPUX_OK == 0 && MGPUX_E_FAILED == 1 && MGPUX_E_USAGE == 2 && MGPUX_E_CONFIG == 3 &&
                   MGPUX_E_MISSING_PROGRAM == 4 && MGPUX_E_CANCELLED == 130,
               "status codes must equal the exit codes");

int mgpux_header_check_c(void) { return MGPUX_ABI_MAJOR; }

/* MGPUX_HAS_MEMBER compiles and reads struct_size against the member's end. */
static inline int mgpux_check_has_member(const mgpux_modal_service* t) { return MGPUX_HAS_MEMBER(t, secret_delete); }
