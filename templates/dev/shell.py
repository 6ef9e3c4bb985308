{{! SPDX-License-Identifier: MIT }}
{{> hub/bash.py}}
