{{> hub/bash.py}}
